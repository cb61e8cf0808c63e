import { defineConfig } from 'vitest/config';

// KEEPSYNC_CI_CANARY=1 runs only the deliberately failing canary (see .ci/run), with the same
// global setup as the suite, to prove a failing test makes the run exit non-zero.
const canary = process.env.KEEPSYNC_CI_CANARY === '1';

export default defineConfig({
  test: {
    include: canary ? ['test/canary/*.canary.ts'] : ['test/**/*.test.ts'],
    globalSetup: ['test/setup/build.ts', 'test/setup/postgres.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
