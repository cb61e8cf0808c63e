/// <reference lib="dom" />
import type { WireChange } from './types.js';

/** The part of the WebSocket class the client uses (browsers' global, or the `ws` package). */
export type WebSocketConstructor = new (url: string) => WebSocket;

/** How a stream ended, so the client knows what to do next. */
export type LiveEnd =
  | { readonly kind: 'full_resync_required' }
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'closed'; readonly code: number; readonly wasLive: boolean };

export interface LiveHandlers {
  /** Changes in oplog order; called once per burst of messages. */
  onChanges(changes: WireChange[]): void;
  /** The backlog is delivered: from here on changes arrive as they happen. */
  onLive(): void;
  onEnd(end: LiveEnd): void;
}

export interface LiveOptions {
  readonly url: string;
  readonly webSocket: WebSocketConstructor;
  readonly token: string | null;
  readonly since: string;
  readonly collections: readonly string[];
}

const UNAUTHORIZED = 4401;

/** One `/sync/stream` socket: subscribe (the token goes in the message, not the URL). */
export function openLive(
  options: LiveOptions,
  handlers: LiveHandlers,
): {
  close(): void;
} {
  const socketUrl = `${options.url.replace(/^http/, 'ws')}/sync/stream`;
  const ws = new options.webSocket(socketUrl);
  let buffer: WireChange[] = [];
  let scheduled = false;
  let live = false;
  let resync = false;
  let ended = false;

  const flush = () => {
    scheduled = false;
    if (buffer.length === 0 || ended) return;
    const batch = buffer;
    buffer = [];
    handlers.onChanges(batch);
  };

  ws.onopen = () => {
    ws.send(
      JSON.stringify({
        type: 'subscribe',
        since: options.since,
        collections: options.collections,
        ...(options.token ? { token: options.token } : {}),
      }),
    );
  };
  ws.onmessage = (event: MessageEvent) => {
    let message: { type?: string } & Partial<WireChange>;
    try {
      message = JSON.parse(String(event.data));
    } catch {
      return;
    }
    switch (message.type) {
      case 'change':
        buffer.push(message as WireChange);
        if (!scheduled) {
          scheduled = true;
          queueMicrotask(flush);
        }
        return;
      case 'caught_up':
        flush();
        live = true;
        handlers.onLive();
        return;
      case 'full_resync_required':
        resync = true;
        return;
    }
  };
  ws.onclose = (event: CloseEvent) => {
    flush();
    if (ended) return;
    ended = true;
    if (resync) handlers.onEnd({ kind: 'full_resync_required' });
    else if (event.code === UNAUTHORIZED) handlers.onEnd({ kind: 'unauthorized' });
    else handlers.onEnd({ kind: 'closed', code: event.code, wasLive: live });
  };
  ws.onerror = () => {
    // A close event follows; nothing to do here.
  };
  return {
    close() {
      if (ended) return;
      ended = true;
      buffer = [];
      ws.close();
    },
  };
}
