import cliProgress from 'cli-progress';
import type { RunStats } from '../store/index.js';

export interface ProgressReporter {
  update(progress: { pipeline: string; unit: string; stats: Readonly<RunStats> }): void;
  stop(): void;
}

/**
 * A live line per running unit on a terminal; nothing otherwise (the run summary and the
 * log lines say what happened).
 */
export function createProgress(enabled: boolean): ProgressReporter {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
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
