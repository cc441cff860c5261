/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/__tests__/global-setup.js',
  reporters: ['default', '<rootDir>/__tests__/summary-reporter.js'],
  collectCoverageFrom: ['lib/**/*.ts'],
  coverageReporters: ['text-summary', 'lcov'],
  // e2e suites start real registries and containerd; give them room on a busy machine.
  testTimeout: 120000,
  // The e2e suites share one machine's CPU and ports; run files one at a time there.
  maxWorkers: process.env.CI ? 1 : '50%',
};
