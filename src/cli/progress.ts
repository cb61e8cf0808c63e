import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';
import type { RunStats } from '../store/index.js';
import type { RunProgress } from '../sync/index.js';

export interface ProgressReporter {
  update(progress: RunProgress): void;
  stop(): void;
}

const LOG_EVERY_MS = 5_000;

function describe(stats: Readonly<RunStats>): string {
  return `${stats.read} read, ${stats.created} created, ${stats.updated} updated, ${stats.unchanged} unchanged, ${stats.failed} failed`;
}

/**
 * A progress bar per running unit on a terminal (a bar when the source says how many records
 * it will read, a live count otherwise); elsewhere a plain log line per unit at most every
 * five seconds, so long runs in CI or under a supervisor still show progress.
 */
export function createProgress(enabled: boolean): ProgressReporter {
  if (!enabled) return { update() {}, stop() {} };
  if (!process.stderr.isTTY) return plainLines();
  // cli-progress loads only for bars on a terminal, not with every command that can run units.
  const cliProgress: typeof CliProgress = createRequire(import.meta.url)('cli-progress');
  const bars = new cliProgress.MultiBar(
    {
      format:
        ' {unit} {bar} {percentage}% | {read}/{expected} read | {created}+ {updated}~ {unchanged}= {failed}! | eta {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const lines = new Map<string, CliProgress.SingleBar>();
  return {
    update({ pipeline, unit, stats, expectedTotal }) {
      const id = `${pipeline}/${unit}`;
      const total = Math.max(expectedTotal ?? stats.read, stats.read, 1);
      let line = lines.get(id);
      if (!line) {
        line = bars.create(total, 0, { unit: id });
        lines.set(id, line);
      }
      line.setTotal(total);
      line.update(stats.read, { unit: id, expected: expectedTotal ?? '?', ...stats });
    },
    stop() {
      bars.stop();
    },
  };
}

function plainLines(): ProgressReporter {
  const lastLogged = new Map<string, number>();
  return {
    update({ pipeline, unit, stats, expectedTotal }) {
      const id = `${pipeline}/${unit}`;
      const now = Date.now();
      if (now - (lastLogged.get(id) ?? 0) < LOG_EVERY_MS) return;
      lastLogged.set(id, now);
      const of = expectedTotal === undefined ? '' : ` of ${expectedTotal}`;
      process.stderr.write(
        `${new Date(now).toISOString()} ${id}: ${describe(stats).replace(' read', `${of} read`)}\n`,
      );
    },
    stop() {},
  };
}
