export interface BackoffOptions {
  /** @default 250 */
  initialMs?: number;
  /** @default 30_000 */
  maxMs?: number;
}

/**
 * Exponential backoff with jitter: a random delay between half and all of
 * `initialMs * 2^attempt` (capped), so a server restart is not met by every client at once.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 250;
  const ceiling = Math.min(options.maxMs ?? 30_000, initial * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
