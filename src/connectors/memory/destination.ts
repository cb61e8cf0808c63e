import { z } from 'zod';
import type { Fields, SyncRecord } from '../../model/index.js';
import {
  checkOptions,
  type Destination,
  type DestinationSession,
  fn,
  optionsSchema,
  type WriteOp,
  type WriteResult,
} from '../../sync/index.js';

export interface MemoryObject {
  readonly id: string;
  readonly key: string;
  fields: Fields;
  body: string | undefined;
  archived: boolean;
}

export interface MemoryDestinationOptions {
  /** @default 'memory' */
  name?: string;
  /**
   * Fault injection for tests: return a result to use instead of writing (a `retryable`,
   * `rejected` or `auth` result), or undefined to write normally.
   */
  fault?: (op: WriteOp) => WriteResult | undefined;
  /** When false, lookup() finds nothing, like a destination that cannot keep keys. @default true */
  keepsKeys?: boolean;
}

export interface MemoryDestination extends Destination {
  /** Objects by destination id. */
  readonly objects: Map<string, MemoryObject>;
  /** Every write operation that reached the destination, in order. */
  readonly writes: WriteOp[];
  /** Objects by key; throws when one key has several objects (a duplicate). */
  byKey(): Map<string, MemoryObject>;
}

const destinationSchema = optionsSchema<MemoryDestinationOptions>({
  name: z.string().optional(),
  fault: fn().optional(),
  keepsKeys: z.boolean().optional(),
});

/** An in-memory destination that records every write, for tests and examples. */
export function destination(options: MemoryDestinationOptions = {}): MemoryDestination {
  checkOptions(destinationSchema, options ?? {}, 'memory.destination');
  const objects = new Map<string, MemoryObject>();
  const writes: WriteOp[] = [];
  let nextId = 1;

  function apply(op: WriteOp): WriteResult {
    const injected = options.fault?.(op);
    if (injected) return injected;
    writes.push(op);
    switch (op.kind) {
      case 'create': {
        const id = `m${nextId++}`;
        objects.set(id, { id, key: op.key, ...content(op.record), archived: false });
        return { status: 'ok', destId: id };
      }
      case 'update': {
        const object = objects.get(op.destId);
        if (!object) return { status: 'rejected', error: `object ${op.destId} does not exist` };
        object.fields = { ...object.fields, ...op.record.fields };
        if (op.record.body !== undefined) object.body = op.record.body;
        object.archived = false;
        return { status: 'ok', destId: op.destId };
      }
      case 'archive': {
        const object = objects.get(op.destId);
        if (object) object.archived = true;
        return { status: 'ok', destId: op.destId };
      }
      case 'delete':
        objects.delete(op.destId);
        return { status: 'ok', destId: op.destId };
    }
  }

  const session: DestinationSession = {
    async lookup(keys) {
      const found = new Map<string, string>();
      if (options.keepsKeys === false) return found;
      const wanted = new Set(keys);
      for (const object of objects.values())
        if (wanted.has(object.key)) found.set(object.key, object.id);
      return found;
    },
    async write(ops) {
      return ops.map(apply);
    },
    async close() {},
  };

  return {
    name: options.name ?? 'memory',
    objects,
    writes,
    async open() {
      return session;
    },
    async truncate() {
      objects.clear();
    },
    async *list() {
      yield [...objects.values()].map((object) => ({
        key: options.keepsKeys === false ? null : object.key,
        destId: object.id,
        fields: { ...object.fields },
        body: object.body,
        archived: object.archived,
      }));
    },
    byKey() {
      const result = new Map<string, MemoryObject>();
      for (const object of objects.values()) {
        if (result.has(object.key)) throw new Error(`duplicate objects for key ${object.key}`);
        result.set(object.key, object);
      }
      return result;
    },
  };
}

function content(record: SyncRecord): { fields: Fields; body: string | undefined } {
  return { fields: { ...record.fields }, body: record.body };
}
