import { expect, inject, it } from 'vitest';

// Run only by .ci/run (KEEPSYNC_CI_CANARY=1), through the same config and global setup as the
// suite: if this run exits 0, a failing test cannot fail CI, and CI stops before trusting it.
it('fails on purpose, after the PostgreSQL global setup ran', () => {
  expect(inject('pgUrl')).toMatch(/^postgres:\/\//);
  expect('the CI canary').toBe('a passing test');
});
