import { isKeepsyncError } from '../model/index.js';

/**
 * How a run its signal stopped ends: `lease-lost` when the signal's reason is LEASE_LOST (an
 * engine learnt another took its lease; the reason names the new holder), `aborted` for a
 * shutdown or a caller's abort.
 */
export function stoppedOutcome(signal: AbortSignal): {
  readonly status: 'aborted' | 'lease-lost';
  readonly error: string | null;
} {
  const reason: unknown = signal.reason;
  if (isKeepsyncError(reason) && reason.code === 'LEASE_LOST') {
    return { status: 'lease-lost', error: reason.message };
  }
  return { status: 'aborted', error: null };
}
