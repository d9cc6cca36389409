/** Unit tests of the builder's pure modules (editor, runs, webhooks; no DOM, no React). */
const root = `${__dirname}/../..`;

module.exports = {
  rootDir: __dirname,
  displayName: 'builder',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/{editor,runs,webhooks}/**/*.spec.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  moduleNameMapper: {
    '^@nudgeflow/flow-schema$': `${root}/libs/flow-schema/src/index.ts`,
    '^@nudgeflow/engine$': `${root}/libs/engine/src/index.ts`,
  },
};
