/**
 * Unit tests of the builder's pure modules (editor, runs, webhooks, ctas), and component tests of the
 * CTA editor, the new-site page and the shared components (`*.spec.tsx`: React in jsdom, chosen per file
 * with a `@jest-environment jsdom` docblock).
 */
const root = `${__dirname}/../..`;

module.exports = {
  rootDir: __dirname,
  displayName: 'builder',
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/jest.setup.cjs'],
  testMatch: ['<rootDir>/src/{components,editor,runs,webhooks,ctas,pages,flow-editor}/**/*.spec.{ts,tsx}'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  moduleNameMapper: {
    '^@nudgeflow/flow-schema$': `${root}/libs/flow-schema/src/index.ts`,
    '^@nudgeflow/engine$': `${root}/libs/engine/src/index.ts`,
    '^@nudgeflow/embed/render-cta$': `${root}/libs/embed/src/render-cta.ts`,
  },
};
