import cliProgress from 'cli-progress';
import type { RunStats } from '../store/index.js';

export interface ProgressReporter {
  update(progress: { pipeline: string; unit: string; stats: Readonly<RunStats> }): void;
  stop(): void;
}

const LOG_EVERY_MS = 5_000;

function describe(stats: Readonly<RunStats>): string {
  return `${stats.read} read, ${stats.created} created, ${stats.updated} updated, ${stats.unchanged} unchanged, ${stats.failed} failed`;
}

/**
 * A live line per running unit on a terminal; otherwise a plain log line per unit at most
 * every five seconds, so long runs in CI or under a supervisor still show progress.
 */
export function createProgress(enabled: boolean): ProgressReporter {
  if (!enabled) return { update() {}, stop() {} };
  if (!process.stderr.isTTY) return plainLines();
  const bars = new cliProgress.MultiBar(
    {
      format:
        ' {unit} | {read} read | {created} created | {updated} updated | {unchanged} unchanged | {failed} failed',
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const lines = new Map<string, cliProgress.SingleBar>();
  return {
    update({ pipeline, unit, stats }) {
      const id = `${pipeline}/${unit}`;
      let line = lines.get(id);
      if (!line) {
        line = bars.create(0, 0, { unit: id });
        lines.set(id, line);
      }
      line.update(0, { unit: id, ...stats });
    },
    stop() {
      bars.stop();
    },
  };
}

function plainLines(): ProgressReporter {
  const lastLogged = new Map<string, number>();
  return {
    update({ pipeline, unit, stats }) {
      const id = `${pipeline}/${unit}`;
      const now = Date.now();
      if (now - (lastLogged.get(id) ?? 0) < LOG_EVERY_MS) return;
      lastLogged.set(id, now);
      process.stderr.write(`${new Date(now).toISOString()} ${id}: ${describe(stats)}\n`);
    },
    stop() {},
  };
}
