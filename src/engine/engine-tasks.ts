import { KeepsyncError } from '../model/index.js';
import type { EngineOptions } from './engine-options.js';
import { pipelineTask, type RunnableTask } from './runnable.js';

/** The engine's pipelines and other tasks, in one list. */
export function allTasks(options: EngineOptions): RunnableTask[] {
  return [...options.pipelines.map(pipelineTask), ...(options.tasks ?? [])];
}

export function assertUniqueNames(tasks: readonly RunnableTask[]): void {
  const seen = new Set<string>();
  for (const task of tasks) {
    if (seen.has(task.name)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Expected pipeline and two-way task names to be unique, got ${JSON.stringify(task.name)} twice`,
      );
    }
    seen.add(task.name);
  }
}

/** A (pipeline, unit) as one map key. */
export function unitId(pipeline: string, unit: string): string {
  return `${pipeline}\u0000${unit}`;
}
