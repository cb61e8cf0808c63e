import type { AlertConfig } from '../config/index.js';
import { describeError } from '../model/index.js';
import type { Logger, RunResult } from '../sync/index.js';

/**
 * The config's alert hooks as one onRunFinished callback. A hook or webhook that fails is
 * logged, never allowed to stop the engine.
 */
export function alertHook(
  alerts: AlertConfig,
  logger: Logger,
): ((result: RunResult) => void) | undefined {
  if (!alerts.onRunFinished && !alerts.onUnitPaused && !alerts.webhook) return undefined;
  return (result) => {
    const paused = result.status === 'paused';
    const calls: Array<Promise<unknown>> = [];
    const call = (what: string, hook: () => unknown) =>
      calls.push(
        Promise.resolve()
          .then(hook)
          .catch((error: unknown) =>
            logger.warn({ hook: what }, `${what} failed: ${describeError(error)}`),
          ),
      );
    if (alerts.onRunFinished) call('onRunFinished', () => alerts.onRunFinished?.(result));
    if (paused && alerts.onUnitPaused) call('onUnitPaused', () => alerts.onUnitPaused?.(result));
    const webhook = alerts.webhook;
    if (webhook) {
      const body = JSON.stringify({ event: paused ? 'unit-paused' : 'run-finished', run: result });
      call('webhook', async () => {
        const response = await fetch(webhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        if (!response.ok) throw new Error(`${new URL(webhook).host} answered ${response.status}`);
      });
    }
    void Promise.all(calls);
  };
}
