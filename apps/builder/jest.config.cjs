/** Unit tests of the builder's pure editor modules (no DOM, no React). */
const root = `${__dirname}/../..`;

module.exports = {
  rootDir: __dirname,
  displayName: 'builder',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/editor/**/*.spec.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  moduleNameMapper: {
    '^@nudgeflow/flow-schema$': `${root}/libs/flow-schema/src/index.ts`,
    '^@nudgeflow/engine$': `${root}/libs/engine/src/index.ts`,
  },
};
