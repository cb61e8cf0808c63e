import { z } from 'zod';
import type { Fields, SyncRecord } from '../../model/index.js';
import {
  checkOptions,
  type Destination,
  type DestinationSession,
  fn,
  optionsSchema,
  type Source,
  type SourceMode,
  type SourcePage,
  type WriteOp,
  type WriteResult,
} from '../../sync/index.js';
import { sideFrom, type TwoWaySide } from '../../twoway/index.js';

export interface MemoryTableOptions {
  /** @default 'memory' */
  name?: string;
  /**
   * `full`: every read lists every live row. `incremental`: a read returns rows changed
   * since the cursor (a version number), deleted rows as tombstones. @default 'full'
   */
  mode?: SourceMode;
  /** @default 1000 */
  pageSize?: number;
  /** The clock stamping `updatedAt` on every change. @default () => new Date() */
  now?: () => Date;
  /** Fault injection for tests: a result to return instead of writing. */
  fault?: (op: WriteOp) => WriteResult | undefined;
}

export interface MemoryRow {
  readonly key: string;
  readonly fields: Fields;
  readonly updatedAt: Date;
}

/**
 * One in-memory table with both halves sharing its rows: a source that reads it and a
 * destination that writes it (addressed by key), so it can be one side of a two-way task.
 * `put`, `patch` and `remove` change it as a person or an application would.
 */
export interface MemoryTable {
  readonly source: Source;
  readonly destination: Destination;
  /** The two halves as a two-way side. */
  readonly side: TwoWaySide;
  /** Every write that came through the destination, in order. */
  readonly writes: WriteOp[];
  /** Live rows by key. */
  rows(): Map<string, MemoryRow>;
  get(key: string): MemoryRow | undefined;
  /** Creates or replaces a row. */
  put(key: string, fields: Fields, at?: Date): void;
  /** Changes some fields of a row. */
  patch(key: string, fields: Fields, at?: Date): void;
  remove(key: string): void;
}

interface Entry {
  key: string;
  fields: Fields;
  updatedAt: Date;
  version: number;
  deleted: boolean;
}

const UNIT = 'table';

const tableSchema = optionsSchema<MemoryTableOptions>({
  name: z.string().optional(),
  mode: z.enum(['full', 'incremental']).optional(),
  pageSize: z.number().optional(),
  now: fn().optional(),
  fault: fn().optional(),
});

export function table(options: MemoryTableOptions = {}): MemoryTable {
  checkOptions(tableSchema, options ?? {}, 'memory.table');
  const entries = new Map<string, Entry>();
  const writes: WriteOp[] = [];
  const now = options.now ?? (() => new Date());
  const pageSize = options.pageSize ?? 1000;
  const name = options.name ?? 'memory';
  let version = 0;

  function put(key: string, fields: Fields, at = now()) {
    entries.set(key, {
      key,
      fields: { ...fields },
      updatedAt: at,
      version: ++version,
      deleted: false,
    });
  }
  function patch(key: string, fields: Fields, at = now()) {
    const entry = entries.get(key);
    if (!entry || entry.deleted) throw new Error(`memory table ${name} has no row ${key}`);
    Object.assign(entry, {
      fields: { ...entry.fields, ...fields },
      updatedAt: at,
      version: ++version,
    });
  }
  function remove(key: string) {
    const entry = entries.get(key);
    if (!entry || entry.deleted) return;
    Object.assign(entry, { deleted: true, fields: {}, updatedAt: now(), version: ++version });
  }
  const live = (key: string) => {
    const entry = entries.get(key);
    return entry && !entry.deleted ? entry : undefined;
  };

  const source: Source = {
    name,
    mode: options.mode ?? 'full',
    units: () => [{ id: UNIT }],
    async *read(_unit, { cursor }): AsyncGenerator<SourcePage> {
      const incremental = source.mode === 'incremental';
      const after = incremental && typeof cursor === 'number' ? cursor : 0;
      const rows = [...entries.values()]
        .filter((entry) => (incremental ? entry.version > after : !entry.deleted))
        .sort((a, b) => (incremental ? a.version - b.version : a.key < b.key ? -1 : 1));
      for (let start = 0; start < rows.length; start += pageSize) {
        const page = rows.slice(start, start + pageSize);
        const records: SyncRecord[] = page.map((entry) => ({
          key: entry.key,
          fields: { ...entry.fields },
          updatedAt: entry.updatedAt,
          deleted: entry.deleted || undefined,
        }));
        yield { records, cursor: incremental ? page.at(-1)!.version : null };
      }
    },
  };

  function apply(op: WriteOp): WriteResult {
    const injected = options.fault?.(op);
    if (injected) return injected;
    writes.push(op);
    switch (op.kind) {
      case 'create':
        put(op.key, op.record.fields);
        return { status: 'ok', destId: op.key };
      case 'update':
        if (!live(op.destId))
          return { status: 'rejected', error: `row ${op.destId} does not exist` };
        patch(op.destId, op.record.fields);
        return { status: 'ok', destId: op.destId };
      case 'archive':
      case 'delete':
        remove(op.destId);
        return { status: 'ok', destId: op.destId };
    }
  }

  const session: DestinationSession = {
    async lookup(keys) {
      const found = new Map<string, string>();
      for (const key of keys) if (live(key)) found.set(key, key);
      return found;
    },
    async write(ops) {
      return ops.map(apply);
    },
    async close() {},
  };
  const destination: Destination = {
    name,
    async open() {
      return session;
    },
    async *list() {
      const rows = [...entries.values()].filter((entry) => !entry.deleted);
      for (let start = 0; start < rows.length; start += pageSize) {
        yield rows.slice(start, start + pageSize).map((entry) => ({
          key: entry.key,
          destId: entry.key,
          fields: { ...entry.fields },
        }));
      }
    },
  };

  return {
    source,
    destination,
    side: sideFrom({ source, destination, unit: UNIT, name }),
    writes,
    rows() {
      const rows = new Map<string, MemoryRow>();
      for (const entry of entries.values()) {
        if (!entry.deleted) rows.set(entry.key, toRow(entry));
      }
      return rows;
    },
    get(key) {
      const entry = live(key);
      return entry ? toRow(entry) : undefined;
    },
    put,
    patch,
    remove,
  };
}

function toRow(entry: Entry): MemoryRow {
  return { key: entry.key, fields: { ...entry.fields }, updatedAt: entry.updatedAt };
}
