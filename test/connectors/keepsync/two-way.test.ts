import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import * as files from '../../../src/connectors/files/index.js';
import * as keepsync from '../../../src/connectors/keepsync/index.js';
import { defineTwoWay, runTwoWay } from '../../../src/twoway/index.js';
import { memoryStore } from '../../sync/helpers.js';
import { liveServer, onCleanup, pull, push } from './helpers.js';

async function world() {
  const live = await liveServer();
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-twoway-yaml-'));
  const store = memoryStore();
  onCleanup(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const task = defineTwoWay({
    name: 'tasks-yaml',
    left: keepsync.twoWaySide({
      server: live.running.server,
      scope: live.scope,
      collection: 'tasks',
      actor: 'yaml-sync',
    }),
    right: files.twoWaySide({ dir }),
    fields: { title: 'title', done: 'done' },
    conflict: 'newer',
    deletes: { left: 'propagate', right: 'propagate' },
  });
  const writeFile = (key: string, fields: Record<string, unknown>, updatedAt?: string) =>
    writeFileSync(
      join(dir, `${key}.yaml`),
      `key: ${key}\n${updatedAt ? `updatedAt: ${updatedAt}\n` : ''}fields:\n${Object.entries(fields)
        .map(([name, value]) => `  ${name}: ${JSON.stringify(value)}\n`)
        .join('')}`,
    );
  return {
    ...live,
    dir,
    writeFile,
    run: () => runTwoWay({ store, task }),
    /** The collection as a client sees it after a full pull: live documents by doc_id. */
    documents: async () => {
      const docs: Record<string, unknown> = {};
      for (const change of (await pull(live.running, live.jwt, 'tasks')).changes) {
        if (change.operation === 'delete') delete docs[change.doc_id];
        else docs[change.doc_id] = change.data;
      }
      return docs;
    },
    files: () =>
      Object.fromEntries(
        readdirSync(dir)
          .filter((name) => name.endsWith('.yaml'))
          .sort()
          .map((name) => {
            const doc = parse(readFileSync(join(dir, name), 'utf8'));
            return [doc.key, doc.fields];
          }),
      ),
  };
}

describe('two-way sync between a keepsync collection and a directory of YAML files', () => {
  it('keeps both merged: creates, client pushes, conflicts by HLC time, deletes, quiet runs', async () => {
    const w = await world();
    await w.running.server.write({
      scope: w.scope,
      changes: [
        {
          collection: 'tasks',
          operation: 'upsert',
          doc_id: 't1',
          data: { title: 'Milk', done: false, note: 'app only' },
        },
        {
          collection: 'tasks',
          operation: 'upsert',
          doc_id: 't2',
          data: { title: 'Dog', done: true },
        },
      ],
    });
    mkdirSync(w.dir, { recursive: true });
    w.writeFile('t1', { title: 'Milk', done: false });
    w.writeFile('t3', { title: 'Bills', done: false, owner: 'yaml only' });

    const first = await w.run();
    expect(first.status).toBe('succeeded');
    expect(first.report).toMatchObject({ matched: 1, createdLeft: 1, createdRight: 1 });
    expect(await w.documents()).toEqual({
      t1: { title: 'Milk', done: false, note: 'app only' },
      t2: { title: 'Dog', done: true },
      t3: { title: 'Bills', done: false },
    });
    expect(w.files()).toEqual({
      t1: { title: 'Milk', done: false },
      t2: { title: 'Dog', done: true },
      t3: { title: 'Bills', done: false, owner: 'yaml only' },
    });

    // A client's push reaches the YAML file; a YAML edit reaches the client.
    await push(w.running, w.jwt, 'tasks', { t2: { title: 'Walk dog', done: true } });
    w.writeFile('t3', { title: 'Bills', done: true, owner: 'yaml only' });
    const second = await w.run();
    expect(second.report).toMatchObject({ updatedLeft: 1, updatedRight: 1, conflicts: 0 });
    expect(w.files().t2).toEqual({ title: 'Walk dog', done: true });
    expect((await w.documents()).t3).toEqual({ title: 'Bills', done: true });

    // Conflicts under `newer`: the YAML side is newer than the client's edit on t1 (2099)
    // and older on t2 (2000); t1.done, changed by the client only, merges cleanly.
    await push(w.running, w.jwt, 'tasks', {
      t1: { title: 'Oat milk', done: true, note: 'app only' },
      t2: { title: 'Walk the dog', done: true },
    });
    w.writeFile('t1', { title: 'Soy milk', done: false }, '2099-01-01T00:00:00.000Z');
    w.writeFile('t2', { title: 'Walk cat', done: true }, '2000-01-01T00:00:00.000Z');
    const third = await w.run();
    expect(third.status).toBe('succeeded');
    expect(third.report).toMatchObject({ conflicts: 2, conflictsOpen: 0 });
    const merged = {
      t1: { title: 'Soy milk', done: true },
      t2: { title: 'Walk the dog', done: true },
      t3: { title: 'Bills', done: true },
    };
    expect(await w.documents()).toEqual({
      ...merged,
      t1: { ...merged.t1, note: 'app only' },
    });
    expect(w.files()).toEqual({ ...merged, t3: { ...merged.t3, owner: 'yaml only' } });

    // Deletes both ways: a client's delete removes the file; a removed file is a tombstone
    // that clients pull.
    await push(w.running, w.jwt, 'tasks', { t3: null });
    rmSync(join(w.dir, 't2.yaml'));
    const since = (await pull(w.running, w.jwt, 'tasks')).lastSeq;
    const fourth = await w.run();
    expect(fourth.report).toMatchObject({ deletedLeft: 1, deletedRight: 1 });
    expect(Object.keys(w.files())).toEqual(['t1']);
    expect(
      (await pull(w.running, w.jwt, 'tasks', since)).changes.map(({ doc_id, operation }) => ({
        doc_id,
        operation,
      })),
    ).toEqual([{ doc_id: 't2', operation: 'delete' }]);

    // Nothing new: no writes on either side, no new oplog entries.
    const seq = await w.store.lastSeq(w.scope);
    const quiet = await w.run();
    expect(quiet.report).toMatchObject({
      createdLeft: 0,
      createdRight: 0,
      updatedLeft: 0,
      updatedRight: 0,
      deletedLeft: 0,
      deletedRight: 0,
      conflicts: 0,
    });
    expect(await w.store.lastSeq(w.scope)).toBe(seq);
  });
});
