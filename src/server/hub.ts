import type { SyncLogger } from './options.js';
import type { DocumentStore, OplogEntry } from './store/types.js';
import { encodeChange } from './wire.js';

/** A live reader of one scope (one subscribed WebSocket). */
export interface LiveSubscriber {
  readonly scope: string;
  readonly collections: ReadonlySet<string> | null;
  /** The last seq this subscriber has been given (or skipped past). */
  cursor: number;
  /** Live subscribers get entries from the hub; the others read the oplog themselves. */
  live: boolean;
  /** One entry in order; `frame` is the shared encoded message. */
  deliver(entry: OplogEntry, frame: Buffer): void;
}

interface Channel {
  readonly scope: string;
  readonly subs: Set<LiveSubscriber>;
  /** Every entry of the scope up to here has been handed to live subscribers. */
  tail: number;
  ready: Promise<void>;
  pumping: boolean;
  dirty: boolean;
}

const HUB_PAGE = 1000;

/**
 * Fans committed oplog entries out to live subscribers. Per scope, ONE reader follows the
 * oplog and shares each encoded frame among every subscriber, whatever their number. It is
 * woken by local commits, by the store's cross-process notifications (PostgreSQL
 * LISTEN/NOTIFY carries only scope and seq) and by a slow poll as a safety net.
 */
export class LiveHub {
  readonly #store: DocumentStore;
  readonly #logger: SyncLogger;
  readonly #channels = new Map<string, Channel>();
  readonly #onServed: (count: number) => void;
  #poll: NodeJS.Timeout | undefined;
  #polledMark = 0;
  #polling = false;
  #stopListening: (() => Promise<void>) | null = null;
  #closed = false;

  constructor(store: DocumentStore, logger: SyncLogger, onServed: (count: number) => void) {
    this.#store = store;
    this.#logger = logger;
    this.#onServed = onServed;
  }

  async start(pollIntervalMs: number): Promise<void> {
    if (this.#store.listen) {
      this.#stopListening = await this.#store.listen((scope) => {
        if (scope === null) this.#wakeAll();
        else this.notify(scope);
      });
    }
    if (pollIntervalMs > 0) {
      this.#poll = setInterval(() => void this.#pollOnce(), pollIntervalMs);
      this.#poll.unref();
    }
  }

  /**
   * Something was committed in `scope`. The fan-out waits for the next turn of the event loop:
   * a push notifies before its response is written, and reading the oplog and sending to every
   * subscriber in between would hold that response back.
   */
  notify(scope: string): void {
    if (!this.#channels.has(scope)) return;
    setImmediate(() => {
      const channel = this.#channels.get(scope);
      if (channel && !this.#closed) void this.#pump(channel);
    });
  }

  /** Registers a subscriber; it starts not live and catches up on its own first. */
  add(sub: LiveSubscriber): { tail(): number; ready: Promise<void> } {
    let channel = this.#channels.get(sub.scope);
    if (!channel) {
      const created: Channel = {
        scope: sub.scope,
        subs: new Set(),
        tail: 0,
        ready: Promise.resolve(),
        pumping: false,
        dirty: false,
      };
      created.ready = this.#store.lastSeq(sub.scope).then((seq) => {
        created.tail = Math.max(created.tail, seq);
      });
      created.ready.catch(() => {});
      this.#channels.set(sub.scope, created);
      channel = created;
    }
    channel.subs.add(sub);
    const held = channel;
    return { tail: () => held.tail, ready: held.ready };
  }

  remove(sub: LiveSubscriber): void {
    const channel = this.#channels.get(sub.scope);
    if (!channel) return;
    channel.subs.delete(sub);
    if (channel.subs.size === 0 && !channel.pumping) this.#channels.delete(sub.scope);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#poll);
    await this.#stopListening?.();
    this.#channels.clear();
  }

  #wakeAll(): void {
    for (const channel of this.#channels.values()) void this.#pump(channel);
  }

  async #pollOnce(): Promise<void> {
    if (this.#polling || this.#channels.size === 0 || this.#closed) return;
    this.#polling = true;
    try {
      // Seqs are per scope, so the store-wide mark only says that something changed: every
      // channel looks at its own scope's oplog.
      const mark = await this.#store.commitMark();
      if (mark !== this.#polledMark) {
        this.#polledMark = mark;
        this.#wakeAll();
      }
    } catch (error) {
      this.#logger.warn({ err: errorText(error) }, 'sync live poll failed');
    } finally {
      this.#polling = false;
    }
  }

  async #pump(channel: Channel): Promise<void> {
    if (channel.pumping) {
      channel.dirty = true;
      return;
    }
    channel.pumping = true;
    try {
      await channel.ready;
      do {
        channel.dirty = false;
        const page = await this.#store.pull({
          scope: channel.scope,
          afterSeq: channel.tail,
          collections: null,
          limit: HUB_PAGE,
        });
        let served = 0;
        for (const entry of page.entries) {
          let frame: Buffer | null = null;
          for (const sub of channel.subs) {
            if (!sub.live || entry.seq <= sub.cursor) continue;
            if (sub.collections && !sub.collections.has(entry.collection)) continue;
            frame ??= Buffer.from(encodeChange(entry, true));
            sub.deliver(entry, frame);
            served++;
          }
        }
        channel.tail = Math.max(channel.tail, page.lastSeq);
        for (const sub of channel.subs) {
          if (sub.live) sub.cursor = Math.max(sub.cursor, channel.tail);
        }
        if (served > 0) this.#onServed(served);
        if (page.hasMore) channel.dirty = true;
      } while (channel.dirty && channel.subs.size > 0 && !this.#closed);
    } catch (error) {
      this.#logger.warn(
        { scope: channel.scope, err: errorText(error) },
        'sync live fan-out failed',
      );
    } finally {
      channel.pumping = false;
      if (channel.subs.size === 0) this.#channels.delete(channel.scope);
    }
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
