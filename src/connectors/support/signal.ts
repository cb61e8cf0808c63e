import { setMaxListeners } from 'node:events';

/**
 * A signal that follows `parent` and accepts any number of listeners: a rate-limited session
 * queues many requests, each listening for the abort, which would trip Node's leak warning
 * on the caller's own signal.
 */
export function queueSignal(parent: AbortSignal | undefined): AbortSignal | undefined {
  if (!parent) return undefined;
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', () => controller.abort(parent.reason), { once: true });
  return controller.signal;
}
