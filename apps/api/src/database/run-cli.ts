/** Runs a command-line task and turns any failure into one line on stderr and exit code 1. */
export function runCli(task: () => Promise<void>): void {
  task().then(
    () => process.exit(0),
    (err: unknown) => {
      const e = err as { message?: string; code?: string };
      console.error(`error: ${e?.message || e?.code || String(err)}`);
      process.exit(1);
    },
  );
}
