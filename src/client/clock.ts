import { Hlc, parseHlc } from '../model/index.js';

/** Offsets closer than this to the known one are network jitter, not a clock change. */
const OFFSET_TOLERANCE_MS = 1000;

export interface ClientClockOptions {
  readonly node: string;
  /** The device's clock. */
  readonly deviceNow: () => number;
  /** The offset stored by an earlier session (server time minus device time). */
  readonly offsetMs: number;
}

/**
 * The client's HLC, run on the server's time: the device clock plus the offset learned from the
 * server's answers, so a phone whose clock is a day off still stamps its edits (offline ones
 * too, once it has talked to the server) with about the right time. Every server version seen
 * is merged (HLC receive) without a drift bound: the server is the authority on time.
 */
export class ClientClock {
  readonly #node: string;
  readonly #deviceNow: () => number;
  #offsetMs: number;
  #hlc: Hlc;

  constructor(options: ClientClockOptions) {
    this.#node = options.node;
    this.#deviceNow = options.deviceNow;
    this.#offsetMs = Number.isFinite(options.offsetMs) ? options.offsetMs : 0;
    this.#hlc = this.#newHlc();
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** The device's own time (for measuring a request). */
  deviceNow(): number {
    return this.#deviceNow();
  }

  tick(): string {
    return this.#hlc.tick();
  }

  /** Merges a version issued by the server. */
  observe(version: string): void {
    try {
      this.#hlc.receive(version);
    } catch {
      // Not an HLC this client understands: nothing to learn from it.
    }
  }

  /**
   * Learns the server's clock from an answer sent between `sentAt` and `receivedAt` (device
   * time). Returns the new offset when it changed, so the caller can store it.
   */
  adopt(serverHlc: string, sentAt: number, receivedAt: number): number | null {
    let serverMs: number;
    try {
      serverMs = parseHlc(serverHlc).wallMs;
    } catch {
      return null;
    }
    const offset = Math.round(serverMs - (sentAt + receivedAt) / 2);
    let changed: number | null = null;
    if (Math.abs(offset - this.#offsetMs) > OFFSET_TOLERANCE_MS) {
      const wentBack = offset < this.#offsetMs;
      this.#offsetMs = offset;
      // A device found to be ahead: start a clock on the corrected time instead of counting on
      // from the future it stamped so far. Only this client's own edits used those stamps, and
      // they are ordered by the outbox, not by their times.
      if (wentBack) this.#hlc = this.#newHlc();
      changed = offset;
    }
    this.observe(serverHlc);
    return changed;
  }

  #newHlc(): Hlc {
    return new Hlc({
      node: this.#node,
      now: () => this.#deviceNow() + this.#offsetMs,
      maxDriftMs: Number.POSITIVE_INFINITY,
    });
  }
}
