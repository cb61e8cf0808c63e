export {
  findPipeline,
  listStatus,
  pauseUnits,
  registerUnits,
  requestSync,
  resetPipeline,
  resumeUnits,
  type UnitStatus,
} from './control.js';
export { Engine } from './engine.js';
export type { EngineOptions, EngineState, LeaseBusy } from './engine-options.js';
export { type HeldLease, type LeaseOptions, takeLease } from './lease.js';
export {
  describeDrift,
  describeStats,
  reportUnits,
  type UnitPhase,
  type UnitReport,
} from './report.js';
export {
  followRuns,
  type RunFeed,
  type RunFeedNews,
  type RunFeedOptions,
} from './run-feed.js';
export {
  isRunnableTask,
  type PeriodicVerify,
  pipelineTask,
  type RunnableTask,
  type TaskRunOptions,
} from './runnable.js';
export { isWaitingForQuota, nextRunAfter, type Scheduled } from './schedule.js';
export { isVerifyDue, type VerifyUnitsOptions, verifyUnits } from './verify-units.js';
