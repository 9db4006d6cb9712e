/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  rootDir: __dirname,
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  testMatch: ['<rootDir>/libs/*/test/**/*.test.ts', '<rootDir>/apps/{api,worker,cli}/test/**/*.test.ts', '<rootDir>/apps/web/e2e/**/*.e2e.test.ts', '<rootDir>/ops/test/**/*.test.ts', '<rootDir>/test/architecture/**/*.test.ts'],
  globalSetup: '<rootDir>/libs/testing/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/jest/global-teardown.ts',
  maxWorkers: 2,
  testTimeout: 30000,
};
