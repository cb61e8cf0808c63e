import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { describeDrift, findPipeline, type LeaseBusy, verifyUnits } from '../engine/index.js';
import { openContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { formatTime, printJson, printTable } from './output.js';
import type { VerifyCommandOptions } from './verify-command.js';

const KEYS_PRINTED = 5;

export async function verifyCommand(
  names: readonly string[],
  options: VerifyCommandOptions,
): Promise<number> {
  const context = await openContext(options);
  const { config, store, logger } = context;
  try {
    for (const name of names) findPipeline(config.pipelines, name);
    const pipelines = names.length
      ? config.pipelines.filter((pipeline) => names.includes(pipeline.name))
      : config.pipelines;
    const stop = new AbortController();
    const interrupt = () => stop.abort(new Error('interrupted'));
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    const busy: LeaseBusy[] = [];
    let results: Awaited<ReturnType<typeof verifyUnits>>;
    try {
      results = await verifyUnits({
        store,
        pipelines,
        owner: `${hostname()}:${process.pid}:verify-${randomUUID().slice(0, 8)}`,
        leaseTtlMs: config.engine.leaseTtlMs ?? 60_000,
        repair: options.repair === true,
        logger,
        signal: stop.signal,
        onLeaseBusy: (unit) => busy.push(unit),
      });
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
    if (options.json) {
      printJson({
        results: results.map(({ repair, ...result }) => ({
          ...result,
          repairRunId: repair?.runId ?? null,
        })),
        skipped: busy.map((unit) => ({ ...unit, status: 'skipped', reason: 'lease-held' })),
      });
    } else {
      printTable(
        ['pipeline', 'unit', 'result', 'compared', 'missing', 'changed', 'extra', 'repaired'],
        results.map((result) => [
          result.pipeline,
          result.unit,
          result.status,
          result.stats.read,
          result.drift.missing,
          result.drift.changed,
          result.drift.extra,
          result.drift.repaired,
        ]),
      );
      for (const result of results) {
        const where = `${result.pipeline}/${result.unit}`;
        if (result.error) process.stderr.write(`${where}: ${result.error}\n`);
        for (const kind of ['missing', 'changed', 'extra'] as const) {
          const keys = result.keys[kind];
          if (keys.length === 0) continue;
          const more = result.drift[kind] > KEYS_PRINTED ? ', …' : '';
          process.stderr.write(
            `${where} ${kind}: ${keys.slice(0, KEYS_PRINTED).join(', ')}${more}\n`,
          );
        }
        const unrepaired = result.drift.missing + result.drift.changed - result.drift.repaired;
        if (!options.repair && unrepaired > 0) {
          process.stderr.write(
            `${where}: ${describeDrift(result.drift)}; \`keepsync verify ${result.pipeline} --repair\` re-writes them\n`,
          );
        }
      }
      for (const unit of busy) {
        process.stderr.write(
          `${unit.pipeline}/${unit.unit}: not verified, ${unit.owner ?? 'another engine'} holds its lease since ${formatTime(unit.since)}\n`,
        );
      }
    }
    if (stop.signal.aborted) return EXIT.interrupted;
    if (results.some((result) => result.status === 'failed')) return EXIT.runFailed;
    if (busy.length > 0) return EXIT.leaseHeld;
    const unrepaired = results.some(
      (result) => result.drift.missing + result.drift.changed > result.drift.repaired,
    );
    return unrepaired ? EXIT.drift : EXIT.ok;
  } finally {
    await store.close();
  }
}
