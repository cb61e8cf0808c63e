import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  findPipeline,
  pauseUnits,
  registerUnits,
  requestSync,
  resetPipeline,
  resumeUnits,
} from '../engine/index.js';
import { KeepsyncError } from '../model/index.js';
import type { DeadLetter } from '../store/index.js';
import { type RunResult, retryDeadLetters } from '../sync/index.js';
import { type CliContext, type GlobalOptions, openContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { formatTime, printJson, printTable } from './output.js';
import { exitCodeOf, reportRuns } from './run-command.js';
import { CONFIG_TEMPLATE } from './template.js';

async function withContext<T>(
  options: GlobalOptions,
  action: (context: CliContext) => Promise<T>,
): Promise<T> {
  const context = await openContext(options);
  try {
    return await action(context);
  } finally {
    await context.store.close();
  }
}

export function initCommand(options: { force?: boolean }): number {
  const path = resolve('keepsync.config.ts');
  if (existsSync(path) && !options.force) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `${path} already exists; pass --force to overwrite it`,
    );
  }
  writeFileSync(path, CONFIG_TEMPLATE);
  const ignored = ignoreStateFolder(resolve('.gitignore'));
  process.stdout.write(
    `Created ${path}${ignored ? `\n${ignored}` : ''}\nNext: edit it, then run \`keepsync run --once\`\n`,
  );
  return EXIT.ok;
}

export { runCommand } from './run-command.js';
export { runsCommand } from './runs-command.js';
export { statusCommand } from './status-command.js';

export async function triggerCommand(
  pipeline: string,
  options: GlobalOptions & { unit?: string; keys?: string },
): Promise<number> {
  return withContext(options, async ({ config, store }) => {
    findPipeline(scheduled(config), pipeline);
    await registerUnits(store, scheduled(config));
    const keys = options.keys
      ? options.keys
          .split(',')
          .map((key) => key.trim())
          .filter(Boolean)
      : null;
    const units = await requestSync(store, pipeline, options.unit, keys);
    say(
      options,
      { requested: units.map((unit) => unit.unit), keys },
      `Sync requested for ${units.length} unit(s) of ${pipeline}`,
    );
    return EXIT.ok;
  });
}

export async function pauseCommand(
  pipeline: string,
  options: GlobalOptions & { unit?: string; reason?: string },
): Promise<number> {
  return withContext(options, async ({ config, store }) => {
    findPipeline(scheduled(config), pipeline);
    await registerUnits(store, scheduled(config));
    const units = await pauseUnits(
      store,
      pipeline,
      options.unit,
      options.reason ?? 'paused by hand',
    );
    say(
      options,
      { paused: units.map((unit) => unit.unit) },
      `Paused ${units.length} unit(s) of ${pipeline}`,
    );
    return EXIT.ok;
  });
}

export async function resumeCommand(
  pipeline: string,
  options: GlobalOptions & { unit?: string },
): Promise<number> {
  return withContext(options, async ({ config, store }) => {
    findPipeline(scheduled(config), pipeline);
    const units = await resumeUnits(store, pipeline, options.unit);
    say(
      options,
      { resumed: units.map((unit) => unit.unit) },
      `Resumed ${units.length} unit(s) of ${pipeline}; they run at once`,
    );
    return EXIT.ok;
  });
}

export async function resetCommand(
  pipeline: string,
  options: GlobalOptions & { truncate?: boolean },
): Promise<number> {
  return withContext(options, async ({ config, store }) => {
    const result = await resetPipeline(store, findPipeline(config.pipelines, pipeline), {
      truncate: options.truncate,
    });
    say(
      options,
      result,
      `Reset ${pipeline}: ${result.cursors} cursor(s) forgotten${options.truncate ? `, destination truncated, ${result.links} link(s) dropped` : ''}; the next run re-reads everything`,
    );
    return EXIT.ok;
  });
}

export async function deadLettersListCommand(
  options: GlobalOptions & { pipeline?: string },
): Promise<number> {
  return withContext(options, async ({ store }) => {
    const letters = await store.listDeadLetters({ pipeline: options.pipeline });
    if (options.json) {
      printJson(letters.map(({ record: _record, ...letter }) => letter));
      return EXIT.ok;
    }
    printTable(
      ['pipeline', 'unit', 'key', 'attempts', 'last failed', 'error'],
      letters.map((letter) => [
        letter.pipeline,
        letter.unit,
        letter.key,
        letter.attempts,
        formatTime(letter.lastFailedAt),
        letter.error.slice(0, 120),
      ]),
    );
    return EXIT.ok;
  });
}

export async function deadLettersRetryCommand(
  options: GlobalOptions & { pipeline?: string },
): Promise<number> {
  return withContext(options, async ({ config, store, logger }) => {
    const pipelines = options.pipeline
      ? [findPipeline(config.pipelines, options.pipeline)]
      : config.pipelines;
    const results: RunResult[] = [];
    const before = await store.listDeadLetters({ pipeline: options.pipeline });
    for (const pipeline of pipelines)
      results.push(...(await retryDeadLetters({ store, pipeline, logger })));
    reportRuns(results, options.json);
    if (!options.json)
      reportRetry(before, await store.listDeadLetters({ pipeline: options.pipeline }));
    return exitCodeOf(results);
  });
}

/** Says what a retry did with each dead letter: through, failing again, or gone at the source. */
function reportRetry(before: readonly DeadLetter[], after: readonly DeadLetter[]): void {
  const id = (letter: DeadLetter) => `${letter.pipeline}\u0000${letter.unit}\u0000${letter.key}`;
  const left = new Map(after.map((letter) => [id(letter), letter]));
  const gone: string[] = [];
  let failing = 0;
  for (const letter of before) {
    const now = left.get(id(letter));
    if (!now) continue;
    if (now.attempts > letter.attempts) failing++;
    else gone.push(`${letter.pipeline}/${letter.key}`);
  }
  const through = before.filter((letter) => !left.has(id(letter))).length;
  process.stderr.write(
    `Re-read ${before.length} dead letter(s) from the source: ${through} went through, ${failing} failed again\n`,
  );
  for (const key of gone) {
    process.stderr.write(
      `${key}: the source has no such record any more; it stays in the dead letters\n`,
    );
  }
}

/** .keepsync/ holds the store and the key of its secrets: it must never be committed. */
function ignoreStateFolder(gitignore: string): string | null {
  const text = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : '';
  if (/^\/?\.keepsync\/?\s*$/m.test(text)) return null;
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  appendFileSync(gitignore, `${separator}.keepsync/\n`);
  return `Added .keepsync/ (the store and its secrets key) to ${gitignore}`;
}

export async function forgetCommand(pipeline: string, options: GlobalOptions): Promise<number> {
  return withContext(options, async ({ config, store }) => {
    if (scheduled(config).some((task) => task.name === pipeline)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `${pipeline} is still in the config; remove or rename it there first (to re-read everything, use \`keepsync reset ${pipeline}\`)`,
      );
    }
    const units = await store.forgetPipeline(pipeline);
    if (units === 0) {
      const known = [...new Set((await store.listUnits()).map((unit) => unit.pipeline))];
      throw new KeepsyncError(
        'NOT_FOUND',
        `The store has nothing for ${pipeline}${known.length ? ` (it has: ${known.join(', ')})` : ''}`,
      );
    }
    say(
      options,
      { forgotten: pipeline, units },
      `Forgot ${pipeline}: ${units} unit(s), with their cursors, links, runs and dead letters`,
    );
    return EXIT.ok;
  });
}

/** Everything the engine schedules: pipelines and two-way tasks (names are unique across both). */
function scheduled(config: CliContext['config']) {
  return [...config.pipelines, ...config.twoWay];
}

function say(options: GlobalOptions, json: unknown, text: string): void {
  if (options.json) printJson(json);
  else process.stdout.write(`${text}\n`);
}
