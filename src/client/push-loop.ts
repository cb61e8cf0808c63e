import { SyncClientError } from './errors.js';
import type { LocalStore } from './local-store.js';
import { buildPushBatch, type PushBatch } from './outbox-batch.js';
import type { Transport } from './transport.js';
import type { WireResult } from './types.js';

export interface PushLoopDeps {
  readonly store: LocalStore;
  readonly transport: Transport;
  readonly clientId: string;
  readonly batchSize: number;
  readonly settle: (batch: PushBatch, results: readonly WireResult[]) => Promise<void>;
  readonly signal: AbortSignal;
}

/**
 * A refusal of the request's content (not of the token, not an outage): the same batch would
 * be refused forever, so the change at fault must be found and set aside.
 */
function refusesContent(error: unknown): error is SyncClientError {
  if (!(error instanceof SyncClientError) || error.status === undefined) return false;
  if (error.status === 403) return error.serverCode === 'FORBIDDEN';
  return error.status === 400 || error.status === 413 || error.status === 422;
}

/** Pushes the outbox until it is empty, one batch at a time. */
export class PushLoop {
  readonly #deps: PushLoopDeps;
  #batchSize: number;
  /**
   * A batch sent but not answered: after a lost response the very same batch goes again. It
   * is stored before it is sent, so a reload (or another tab taking over) resends it too.
   */
  #unsettled: PushBatch | null = null;
  /** Set while halving batches to find the change the server refuses. */
  #isolating: number | null = null;

  constructor(deps: PushLoopDeps) {
    this.#deps = deps;
    this.#batchSize = deps.batchSize;
  }

  async run(): Promise<void> {
    const { store, transport, signal } = this.#deps;
    this.#unsettled = (await store.meta()).pushInFlight;
    while (!signal.aborted) {
      const batch = buildPushBatch(
        await store.outbox(),
        this.#isolating ?? this.#batchSize,
        this.#unsettled,
      );
      if (!batch) return;
      await store.setPushInFlight(batch);
      this.#unsettled = batch;
      let results: WireResult[];
      try {
        results = await transport.push(this.#deps.clientId, batch.changes);
      } catch (error) {
        if (!refusesContent(error)) throw error;
        // Refused before anything was applied: nothing of this batch needs resending as is.
        this.#unsettled = null;
        await store.setPushInFlight(null);
        if (error.status === 413 && this.#batchSize > 1) {
          this.#batchSize = Math.max(1, Math.floor(this.#batchSize / 2));
          continue;
        }
        if (batch.groups.length > 1) {
          this.#isolating = Math.max(1, Math.floor(batch.groups.length / 2));
          continue;
        }
        // The one change the server refuses: it leaves the outbox for the rejected list, so
        // the device's later edits no longer queue behind it.
        this.#isolating = null;
        const group = batch.groups[0]!;
        await this.#deps.settle(batch, [
          {
            doc_id: group.docId,
            collection: group.collection,
            status: 'rejected',
            code: error.serverCode ?? 'REJECTED',
            error: error.message,
          },
        ]);
        continue;
      }
      this.#unsettled = null;
      await this.#deps.settle(batch, results);
    }
  }
}
