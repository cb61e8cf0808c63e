/// <reference lib="dom" />
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { type LiveEnd, openLive, type WebSocketConstructor } from './live.js';
import type { WireChange } from './types.js';

export interface LiveLinkOptions {
  readonly url: string;
  readonly webSocket: WebSocketConstructor;
  readonly collections: readonly string[];
  readonly backoff: BackoffOptions | undefined;
  /** Whether a socket may be opened now (leader, running, online, no resync pending). */
  readonly mayConnect: () => boolean;
  readonly token: () => Promise<string | null>;
  readonly refreshToken: () => Promise<unknown>;
  /** The pull cursor the stream starts after. */
  readonly since: () => string;
  readonly onChanges: (changes: WireChange[]) => void;
  /** The backlog is delivered: the socket is live. */
  readonly onLive: () => void;
  /** The socket ended; `resync` when the server asked for a full resync. */
  readonly onDown: (resync: boolean) => void;
  readonly onError: (error: unknown) => void;
}

/** The leader's `/sync/stream` socket: opens it, reconnects with backoff, reports live/down. */
export class LiveLink {
  readonly #options: LiveLinkOptions;
  #socket: { close(): void } | null = null;
  #live = false;
  #attempts = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: LiveLinkOptions) {
    this.#options = options;
  }

  /** True while a socket is open and caught up. */
  get live(): boolean {
    return this.#live;
  }

  /** True while a socket is opening or open. */
  get open(): boolean {
    return this.#socket !== null;
  }

  connect(): void {
    const options = this.#options;
    if (this.#socket || !options.mayConnect()) return;
    clearTimeout(this.#timer);
    const opened = { close() {} };
    this.#socket = opened;
    options.token().then(
      (token) => {
        if (this.#socket !== opened || !options.mayConnect()) {
          if (this.#socket === opened) this.#socket = null;
          return;
        }
        this.#socket = openLive(
          {
            url: options.url,
            webSocket: options.webSocket,
            token,
            since: options.since(),
            collections: options.collections,
          },
          {
            onChanges: options.onChanges,
            onLive: () => {
              this.#live = true;
              this.#attempts = 0;
              options.onLive();
            },
            onEnd: (end) => this.#ended(end),
          },
        );
      },
      (error: unknown) => {
        if (this.#socket === opened) this.#socket = null;
        options.onError(error);
        this.#retryLater();
      },
    );
  }

  /** Closes the socket and stops reconnecting until `connect()`. */
  drop(): void {
    clearTimeout(this.#timer);
    this.#socket?.close();
    this.#socket = null;
    this.#live = false;
  }

  /** The network is back: the next reconnect waits the shortest delay. */
  resetBackoff(): void {
    this.#attempts = 0;
  }

  #ended(end: LiveEnd): void {
    this.#socket = null;
    this.#live = false;
    if (end.kind === 'full_resync_required') {
      this.#options.onDown(true);
      return;
    }
    this.#options.onDown(false);
    if (!this.#options.mayConnect()) return;
    if (end.kind === 'unauthorized') void this.#options.refreshToken().catch(this.#options.onError);
    this.#retryLater();
  }

  #retryLater(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => this.connect(),
      backoffDelay(this.#attempts++, this.#options.backoff),
    );
  }
}
