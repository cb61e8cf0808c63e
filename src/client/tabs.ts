/// <reference lib="dom" />

/** What tabs of one app tell each other. */
export type TabMessage =
  /** A tab added edits to the outbox (the leader pushes them). */
  | { readonly type: 'outbox' }
  /** The leader stored server changes of these documents (`null`: reload everything). */
  | {
      readonly type: 'documents';
      readonly keys: ReadonlyArray<{ collection: string; docId: string }> | null;
    }
  /** The leader's connection changed. */
  | { readonly type: 'connection'; readonly connection: string };

export interface TabsOptions {
  readonly name: string;
  /** Called once this tab holds the lock; it keeps it until `close()`. */
  readonly onLeader: () => void;
  readonly onMessage: (message: TabMessage) => void;
}

/**
 * One leader among the tabs of an app (a Web Lock held for the tab's lifetime: when it closes,
 * the next waiting tab gets it) and a BroadcastChannel to tell the others about changes.
 * Without Web Locks (Node, old browsers) this tab leads at once.
 */
export function joinTabs(options: TabsOptions): {
  post(message: TabMessage): void;
  close(): void;
} {
  const channel =
    typeof BroadcastChannel === 'function'
      ? new BroadcastChannel(`keepsync:${options.name}`)
      : null;
  if (channel) {
    channel.onmessage = (event: MessageEvent<TabMessage>) => options.onMessage(event.data);
  }
  const release = new AbortController();
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (locks) {
    locks
      .request(`keepsync:${options.name}`, { signal: release.signal }, () => {
        if (release.signal.aborted) return;
        options.onLeader();
        return new Promise<void>((resolve) =>
          release.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
      })
      .catch(() => {
        // Aborted while waiting for the lock: this tab closed before it led.
      });
  } else {
    queueMicrotask(() => {
      if (!release.signal.aborted) options.onLeader();
    });
  }
  return {
    post(message) {
      channel?.postMessage(message);
    },
    close() {
      release.abort();
      channel?.close();
    },
  };
}
