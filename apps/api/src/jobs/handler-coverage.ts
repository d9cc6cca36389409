import { JobName } from './job.types';

/** Every job name must have exactly one handler: returns what is wrong, empty when the map is complete. */
export function handlerCoverageProblems(
  owners: ReadonlyMap<string, readonly string[]>,
  names: readonly string[] = Object.values(JobName),
): string[] {
  const problems: string[] = [];
  for (const name of names) {
    const found = owners.get(name) ?? [];
    if (found.length === 0) problems.push(`${name} has no handler`);
    if (found.length > 1) problems.push(`${name} has ${found.length} handlers (${found.join(', ')})`);
  }
  for (const name of owners.keys())
    if (!names.includes(name)) problems.push(`${name} is not a known job name`);
  return problems;
}
