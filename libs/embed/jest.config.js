/** Browser tests for the embed script (run from the repo root: `npx jest -c libs/embed/jest.config.js`). */
module.exports = {
  rootDir: __dirname,
  displayName: 'embed',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/../../tsconfig.jest.json' }] },
  testTimeout: 60000,
};
