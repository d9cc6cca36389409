/**
 * A positive integer setting read from the environment at module load (`fallback` when unset or not a
 * positive integer), for the Nest-free modules' tuning knobs (the fold, the ingest path) that cannot
 * take the validated `AppConfig`.
 */
export const positiveInt = (v: string | undefined, fallback: number): number => {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};
