import type { LinkWrite } from '../store/index.js';
import type { PlannedWrite, WriteOutcome } from './destination-writes.js';

/**
 * For destinations that cannot find an object by key (`linksEachCreate`): other writes go as
 * one batch, then each create alone, its link committed the moment it succeeds (the page
 * commit repeats it), so a crash can duplicate only the create whose answer was in flight.
 */
export async function writeLinkingEachCreate(
  writes: readonly PlannedWrite[],
  io: {
    write(batch: readonly PlannedWrite[]): Promise<WriteOutcome>;
    commitLink(link: Omit<LinkWrite, 'passId'>): Promise<void>;
  },
): Promise<WriteOutcome> {
  const creates = writes.filter((planned) => planned.op.kind === 'create');
  const outcome = await io.write(writes.filter((planned) => planned.op.kind !== 'create'));
  for (const [index, planned] of creates.entries()) {
    if (outcome.authError || outcome.failing > 0) {
      // The destination stopped taking writes: the creates left wait for the page's retry.
      if (!outcome.authError) outcome.failing += creates.length - index;
      break;
    }
    const one = await io.write([planned]);
    outcome.rejected.push(...one.rejected);
    outcome.failing += one.failing;
    outcome.lastFailure = one.lastFailure ?? outcome.lastFailure;
    outcome.authError ??= one.authError;
    for (const done of one.done) {
      outcome.done.push(done);
      await io.commitLink({
        key: planned.op.key,
        destId: done.destId,
        hash: planned.hash,
        sourceUpdatedMs: planned.sourceUpdatedMs,
      });
    }
  }
  return outcome;
}
