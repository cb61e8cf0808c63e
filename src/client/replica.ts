import { SyncClientError } from './errors.js';
import type { FullResponse } from './full-stream.js';
import { isNewer, type LocalMeta, type LocalStore } from './local-store.js';
import type { ConflictContext, RejectContext } from './options.js';
import type { PushBatch } from './outbox-batch.js';
import { planSettle } from './settle.js';
import type { TabMessage } from './tabs.js';
import type { Transport } from './transport.js';
import { type BaseDocument, changeToBase, type WireChange, type WireResult } from './types.js';
import type { DocumentView } from './view.js';

export interface ReplicaDeps {
  readonly store: LocalStore;
  readonly view: DocumentView;
  readonly transport: Transport;
  /** Runs a read-modify-write of the store and the view alone. */
  readonly exclusive: <T>(task: () => Promise<T>) => Promise<T>;
  /** A server version was seen (the client clock merges it). */
  readonly observe: (version: string) => void;
  /** Tells the other tabs. */
  readonly post: (message: TabMessage) => void;
  readonly onConflict: (context: ConflictContext) => void;
  readonly onReject: (context: RejectContext) => void;
  /** Rejected edits were stored: reload the app's list of them (inside `exclusive`). */
  readonly refreshRejected: () => Promise<void>;
  readonly pullLimit: number;
  /** Documents in a resync's first `/sync/full` request; each later one asks for twice as many. */
  readonly fullPageSize: number;
  readonly signal: AbortSignal;
}

/** The server's largest `/sync/full` limit. */
const FULL_PAGE_MAX = 100_000;

/**
 * The page after one of `size` documents: twice as large, so a resync of n documents takes
 * about log2(n / first page) requests.
 */
function nextPageSize(size: number): number {
  return Math.min(size * 2, FULL_PAGE_MAX);
}

function maxSeq(current: string, changes: readonly WireChange[]): string {
  let top = Number(current);
  for (const change of changes) if (change.seq > top) top = change.seq;
  return String(top);
}

/** The server's state in the local store and the view: pulls, stream changes, push answers, full resyncs. */
export class Replica {
  readonly #deps: ReplicaDeps;
  /** The pull cursor. */
  lastSeq: string;
  /** Set when the local documents must be replaced by a full resync before anything else. */
  needsResync: boolean;

  constructor(deps: ReplicaDeps, meta: LocalMeta) {
    this.#deps = deps;
    this.lastSeq = meta.lastSeq;
    this.needsResync = meta.resyncing || meta.lastSeq === '0';
  }

  /** Another tab led until now: start from what it stored. */
  async reload(): Promise<void> {
    const { store, view } = this.#deps;
    await this.#deps.exclusive(async () => {
      const current = await store.meta();
      this.lastSeq = current.lastSeq;
      this.needsResync = current.resyncing || current.lastSeq === '0';
      view.clearBase();
      view.setBase(await store.documents());
      view.setOutbox(await store.outbox());
    });
  }

  /** Stream changes: applied after the current cursor. */
  applyLive(changes: readonly WireChange[]): Promise<void> {
    return this.#applyRemote(changes, maxSeq(this.lastSeq, changes));
  }

  async pullAll(): Promise<void> {
    const { transport, signal, pullLimit } = this.#deps;
    while (!signal.aborted) {
      const answer = await transport.pull(this.lastSeq, pullLimit);
      if (answer.kind === 'full_resync_required') {
        this.needsResync = true;
        await this.fullResync();
        continue;
      }
      await this.#applyRemote(answer.changes, maxSeq(answer.lastSeq, answer.changes));
      if (!answer.hasMore) return;
    }
  }

  /**
   * Replaces the local documents by the server's, page by page. The old documents stay
   * readable meanwhile; the cursor of each stored page is kept, so a reload or crash resumes
   * where it stopped instead of starting again. One page ahead is requested while a page is
   * read and stored, so the server's time to answer overlaps the client's work; the stored
   * cursor is still only ever the one after the last stored page. Pages grow from
   * `fullPageSize` by doubling: the first documents show soon, few requests fetch the rest,
   * and a resumed resync fetches again at most the last page, never more than was stored.
   */
  async fullResync(): Promise<void> {
    const { store, view, exclusive, observe, transport, fullPageSize } = this.#deps;
    const meta = await store.meta();
    let cursor = meta.resyncing ? meta.resyncCursor : null;
    if (!meta.resyncing) await this.#beginResync();
    const show = (page: readonly BaseDocument[]) => {
      let top = '';
      for (const doc of page) if (doc.version > top) top = doc.version;
      if (top) observe(top);
      view.setBase(page);
    };
    const onBatch = async (page: BaseDocument[]) => {
      await store.putResyncPage(page);
      show(page);
    };
    let size = Math.min(fullPageSize, FULL_PAGE_MAX);
    let opening = transport.openFull(cursor, size);
    for (;;) {
      let page: FullResponse;
      try {
        page = await opening;
      } catch (error) {
        // The server no longer knows the stored cursor (e.g. it was upgraded): start again.
        if (cursor === null || !(error instanceof SyncClientError)) throw error;
        if (error.serverCode !== 'CURSOR_INVALID') throw error;
        await this.#beginResync();
        cursor = null;
        size = Math.min(fullPageSize, FULL_PAGE_MAX);
        opening = transport.openFull(cursor, size);
        continue;
      }
      size = nextPageSize(size);
      const ahead = page.next === null ? null : transport.openFull(page.next, size);
      // Awaited with the page after this one; until then its failure must not go unhandled.
      ahead?.catch(() => {});
      try {
        const rest = await page.read(onBatch);
        if (page.next !== null) {
          await store.putResyncPage(rest, page.next);
          show(rest);
          cursor = page.next;
          opening = ahead!;
          continue;
        }
        await exclusive(async () => {
          const removed = await store.endResync(page.lastSeq, rest);
          show(rest);
          view.removeBase(removed);
          this.lastSeq = page.lastSeq;
        });
        break;
      } catch (error) {
        void ahead?.then((next) => next.cancel()).catch(() => {});
        throw error;
      }
    }
    this.needsResync = false;
    this.#deps.post({ type: 'documents', keys: null });
  }

  async #beginResync(): Promise<void> {
    await this.#deps.exclusive(async () => {
      await this.#deps.store.beginResync();
      this.lastSeq = '0';
    });
  }

  /** Stores the server's answer to a push and tells the app about conflicts and rejections. */
  async settle(batch: PushBatch, results: readonly WireResult[]): Promise<void> {
    const { store, view, observe } = this.#deps;
    const plan = planSettle(batch, results);
    await this.#deps.exclusive(async () => {
      for (const doc of plan.apply.documents) observe(doc.version);
      // Answered: the batch leaves the outbox and stops being the push in flight together.
      await store.apply({ ...plan.apply, pushInFlight: null });
      this.#show(plan.apply.documents);
      view.setOutbox(await store.outbox());
      if (plan.rejects.length > 0) await this.#deps.refreshRejected();
    });
    this.#deps.post({
      type: 'documents',
      keys: batch.groups.map((group) => ({ collection: group.collection, docId: group.docId })),
    });
    for (const conflict of plan.conflicts) this.#deps.onConflict(conflict);
    for (const reject of plan.rejects) this.#deps.onReject(reject);
  }

  async #applyRemote(changes: readonly WireChange[], cursor: string): Promise<void> {
    if (changes.length === 0 && cursor === this.lastSeq) return;
    const { store, observe } = this.#deps;
    await this.#deps.exclusive(async () => {
      const documents = changes.map(changeToBase);
      for (const doc of documents) observe(doc.version);
      const next = String(Math.max(Number(this.lastSeq), Number(cursor)));
      await store.apply({ documents, lastSeq: next });
      this.lastSeq = next;
      this.#show(documents);
    });
    if (changes.length > 0) {
      this.#deps.post({
        type: 'documents',
        keys: changes.map((change) => ({ collection: change.collection, docId: change.doc_id })),
      });
    }
  }

  #show(documents: readonly BaseDocument[]): void {
    const { view } = this.#deps;
    for (const doc of documents) {
      if (isNewer(doc, view.base(doc.collection, doc.docId))) view.setBase([doc]);
    }
  }
}
