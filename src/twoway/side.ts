import { describeError, isAuthError, KeepsyncError } from '../model/index.js';
import type {
  ConnectorTelemetry,
  Destination,
  Source,
  WriteOp,
  WriteResult,
} from '../sync/index.js';
import type { SideWriteResult, TwoWaySide } from './types.js';

export interface SideFromOptions {
  /** Reads the system. Its mode decides full vs incremental reads. */
  source: Source;
  /**
   * Writes the same system. Its session's lookup() must find objects by the keys the source
   * reports (the sql, files and memory destinations do), so writes are keyed upserts.
   */
  destination: Destination;
  /** The source unit to read. @default the source's only unit */
  unit?: string | undefined;
  /** Every live key, for an incremental source that cannot report deletions. */
  listKeys?: ((signal?: AbortSignal) => Promise<Iterable<string>>) | undefined;
  /**
   * `full` reads everything on every run (so a missing object was deleted) even from an
   * incremental source. @default the source's mode
   */
  mode?: 'full' | 'incremental' | undefined;
  /** @default the source's name */
  name?: string | undefined;
  /** Names the task in the destination's session context. @default 'twoway' */
  context?: string | undefined;
}

const silentTelemetry: ConnectorTelemetry = { retried() {}, waitedForRateLimit() {} };

/**
 * A two-way side from a source and a destination of the same system (e.g. `sql.source` and
 * `sql.destination` on one table). Writes look the keys up first: an object found is
 * updated (a patch of the synced fields), one not found is created under that key, and a
 * delete of an object already gone succeeds.
 */
export function sideFrom(options: SideFromOptions): TwoWaySide {
  const { source, destination } = options;
  let unit: string | undefined = options.unit;
  const mode = options.mode ?? source.mode;
  async function unitId(): Promise<string> {
    if (unit !== undefined) return unit;
    const units = await source.units();
    if (units.length !== 1) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Source ${source.name} has ${units.length} units; name the one to sync with \`unit\``,
      );
    }
    unit = units[0]!.id;
    return unit;
  }
  return {
    name: options.name ?? source.name,
    mode,
    async *read({ cursor, signal }) {
      const id = await unitId();
      const from = mode === 'full' ? null : cursor;
      yield* source.read(id, { cursor: from, signal, telemetry: silentTelemetry });
    },
    listKeys: mode === 'incremental' ? options.listKeys : undefined,
    async write(writes, signal) {
      const session = await destination.open({
        pipeline: options.context ?? 'twoway',
        unit: await unitId(),
        signal,
        telemetry: silentTelemetry,
      });
      try {
        const existing = await session.lookup([...new Set(writes.map((write) => write.key))]);
        const results: SideWriteResult[] = new Array(writes.length);
        const ops: WriteOp[] = [];
        const positions: number[] = [];
        writes.forEach((write, index) => {
          const destId = existing.get(write.key);
          if (write.kind === 'delete') {
            if (destId === undefined) {
              results[index] = { status: 'ok' };
              return;
            }
            ops.push({ kind: 'delete', key: write.key, destId });
          } else if (destId === undefined) {
            ops.push({
              kind: 'create',
              key: write.key,
              record: { key: write.key, fields: write.fields },
            });
          } else {
            ops.push({
              kind: 'update',
              key: write.key,
              destId,
              record: { key: write.key, fields: write.fields },
            });
          }
          positions.push(index);
        });
        if (ops.length > 0) {
          const written = await session.write(ops);
          written.forEach((result, at) => {
            results[positions[at]!] = toSideResult(result);
          });
        }
        return results;
      } catch (error) {
        if (isAuthError(error)) {
          return writes.map(() => ({ status: 'auth' as const, error: describeError(error) }));
        }
        throw error;
      } finally {
        await session.close();
      }
    },
  };
}

function toSideResult(result: WriteResult): SideWriteResult {
  if (result.status === 'ok') return { status: 'ok' };
  // Two-way runs retry a side that cannot take writes like one that is failing for a while.
  const status = result.status === 'unavailable' ? 'retryable' : result.status;
  return { status, error: result.error };
}
