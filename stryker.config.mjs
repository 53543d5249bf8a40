// Mutation testing of the pure modules (npm run mutation): each mutant of
// their source must make a unit test fail. Too slow for CI on two cores; the
// scores are written down in the README. A module can be run on its own:
// npm run mutation -- --mutate 'harness/compare/**/*.ts' '!harness/**/*.test.ts'
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'harness/compare/**/*.ts',
    'harness/explain/**/*.ts',
    'harness/scenario/**/*.ts',
    'harness/report/**/*.ts',
    'harness/baseline.ts',
    'harness/shard.ts',
    '!harness/**/*.test.ts',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  timeoutMS: 20000,
};
