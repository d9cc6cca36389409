import { handlerCoverageProblems } from './handler-coverage';
import { JobName } from './job.types';

describe('job handler coverage', () => {
  const names = ['A', 'B'];

  it('accepts exactly one handler per job', () => {
    expect(
      handlerCoverageProblems(
        new Map([
          ['A', ['X.a']],
          ['B', ['Y.b']],
        ]),
        names,
      ),
    ).toEqual([]);
  });

  it('names a job with no handler, one with two, and a handler for an unknown job', () => {
    const owners = new Map([
      ['A', ['X.a', 'Z.a']],
      ['C', ['Q.c']],
    ]);
    expect(handlerCoverageProblems(owners, names)).toEqual([
      'A has 2 handlers (X.a, Z.a)',
      'B has no handler',
      'C is not a known job name',
    ]);
  });

  it('checks the real job names by default', () => {
    expect(handlerCoverageProblems(new Map())).toEqual(
      Object.values(JobName).map((n) => `${n} has no handler`),
    );
  });
});
