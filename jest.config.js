// Two projects: unit tests are pure and fast; e2e tests share ONE real Kafka cluster and ONE lab
// server per run, started by test/support/global-setup.ts and stopped by global-teardown.ts.
// ts-jest transpiles each file on its own (no type check: `npm run build` type-checks src, and
// tests fail loudly on a wrong shape). @swc/jest was dropped: its per-platform binaries are
// optional packages a registry mirror may not carry, which made `npm ci` refuse the lockfile.
const ts = ['ts-jest', {
  tsconfig: {
    isolatedModules: true,
    module: 'commonjs',
    target: 'ES2022',
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    esModuleInterop: true,
    resolveJsonModule: true,
    strict: true,
    strictPropertyInitialization: false,
    useUnknownInCatchVariables: false,
    skipLibCheck: true,
    sourceMap: true,
  },
}];
module.exports = {
  testTimeout: 240000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': ts },
      testMatch: ['<rootDir>/test/unit/**/*.spec.ts'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': ts },
      testMatch: ['<rootDir>/test/e2e/**/*.e2e.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      slowTestThreshold: 60,
    },
  ],
};
