import type { DestinationSession, WriteOp, WriteResult } from '../../sync/index.js';
import type { SettleWrite } from './settle-write.js';

/**
 * The session of a destination that finds its objects through one index of key -> object id
 * (read when first needed): lookups answer from the index, and each write is settled on its
 * own, so one failed write does not fail the batch.
 */
export function indexedSession(
  index: () => Promise<ReadonlyMap<string, string>>,
  writeOne: (op: WriteOp) => Promise<WriteResult>,
  settle: SettleWrite,
): DestinationSession {
  return {
    async lookup(keys) {
      const all = await index();
      return new Map(keys.flatMap((key) => (all.has(key) ? [[key, all.get(key)!] as const] : [])));
    },
    async write(ops) {
      return Promise.all(ops.map((op) => settle(op, () => writeOne(op))));
    },
    async close() {},
  };
}
