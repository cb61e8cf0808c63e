import type { Pipeline } from '../sync/index.js';

/**
 * The Temporal engine's workflows run pipelines but not their periodic `verify`; say so once
 * per pipeline that asks for it, rather than let the option do nothing in silence.
 */
export function warnVerifyNotScheduled(
  pipelines: readonly Pipeline[],
  write: (line: string) => void = (line) => process.stderr.write(line),
): void {
  for (const pipeline of pipelines) {
    if (!pipeline.verify) continue;
    write(
      `keepsync: warning: pipeline ${JSON.stringify(pipeline.name)} has \`verify\`, which the Temporal engine does not schedule; run \`keepsync verify ${pipeline.name}\` from cron (or the embedded engine) instead\n`,
    );
  }
}
