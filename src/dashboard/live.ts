import type { RunProgress, RunResult } from '../sync/index.js';

/** What the engine in this process is reading right now, fresher than the store's last page. */
export interface LiveProgress {
  update(progress: RunProgress): void;
  finish(result: RunResult): void;
  get(pipeline: string, unit: string): RunProgress | undefined;
}

export function createLiveProgress(): LiveProgress {
  const running = new Map<string, RunProgress>();
  const id = (pipeline: string, unit: string) => `${pipeline}\u0000${unit}`;
  return {
    update(progress) {
      running.set(id(progress.pipeline, progress.unit), progress);
    },
    finish(result) {
      running.delete(id(result.pipeline, result.unit));
    },
    get(pipeline, unit) {
      return running.get(id(pipeline, unit));
    },
  };
}
