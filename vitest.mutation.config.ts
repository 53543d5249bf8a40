import { defineConfig } from 'vitest/config';

// The unit tests of the pure modules, for mutation testing (stryker.config.mjs):
// each mutant is tried against the tests that cover it, so only fast tests belong here.
export default defineConfig({
  test: {
    include: [
      'harness/compare/**/*.test.ts',
      'harness/explain/**/*.test.ts',
      'harness/scenario/**/*.test.ts',
      'harness/report/**/*.test.ts',
      'harness/baseline.test.ts',
      'harness/shard.test.ts',
      'harness/assess.test.ts',
    ],
    exclude: ['**/*.integration.test.ts', '**/*.e2e.test.ts'],
  },
});
