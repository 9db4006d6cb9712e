/**
 * `npm run test:faults`: the fault, abuse and bad-input suite (test/faults). The apps run as child
 * processes against real Postgres and Redis, so files run one at a time (they start processes and
 * cut connections) with generous timeouts. Same global setup as jest.config.js: one migrated
 * template database per run, each file clones its own.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  rootDir: __dirname,
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  testMatch: ['<rootDir>/test/faults/**/*.faults.test.ts'],
  globalSetup: '<rootDir>/libs/testing/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/jest/global-teardown.ts',
  maxWorkers: 1,
  testTimeout: 180000,
  // Prints the scenario table (sent, acknowledged, counted, lost, double-counted) after the run.
  reporters: ['default', '<rootDir>/test/faults/support/fault-table.reporter.js'],
};
