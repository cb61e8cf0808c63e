import type { ResolvedConfig } from '../config/index.js';
import { oauthConnections } from '../connectors/support/index.js';
import { pipelineTask, type RunnableTask } from '../engine/index.js';
import type { Pipeline } from '../sync/index.js';
import { EXIT } from './exit-codes.js';
import { loadTemporal } from './load-temporal.js';
import { warnVerifyNotScheduled } from './temporal-notices.js';
import { temporalSettings } from './temporal-settings.js';

/**
 * `keepsync run` when the config chooses `engine: { kind: 'temporal' }`: the workflows run the
 * pipelines (on `keepsync worker`s), so this starts them idempotently and, for `--once`,
 * wakes every unit now instead of running anything here.
 */
export async function runOnTemporal(
  config: ResolvedConfig,
  selection: { pipelines: readonly Pipeline[]; tasks: readonly RunnableTask[]; all: boolean },
  options: { once?: boolean; json?: boolean },
): Promise<number> {
  const temporal = await loadTemporal();
  const settings = temporalSettings(config.engine);
  const target = temporal.resolveTemporalTarget(settings.target);
  const { taskQueue } = settings;
  const client = await temporal.connectTemporalClient(target);
  try {
    if (oauthConnections().length > 0) await temporal.startTokenWorkflows({ client, taskQueue });
    warnVerifyNotScheduled(selection.pipelines);
    const started = await temporal.startUnitWorkflows({
      client,
      taskQueue,
      pipelines: selection.pipelines,
      tasks: selection.tasks,
      // Only a run of the whole config may stop the workflows of units it no longer has.
      stopRemoved: selection.all,
    });
    let woken = 0;
    if (options.once) {
      for (const task of [...selection.pipelines.map(pipelineTask), ...selection.tasks]) {
        for (const unit of await task.units()) {
          await temporal.syncUnitNow(client, { pipeline: task.name, unit: unit.id });
          woken++;
        }
      }
    }
    if (options.json) process.stdout.write(`${JSON.stringify({ ...started, woken })}\n`);
    else {
      process.stdout.write(
        `Temporal engine (${target.address}, task queue ${taskQueue}): ${started.ensured.length} workflow(s) ensured, ${started.stopped.length} stopped${options.once ? `, ${woken} woken to run now` : ''}; keepsync worker runs them, keepsync temporal status shows them\n`,
      );
    }
    return EXIT.ok;
  } finally {
    await client.connection.close();
  }
}
