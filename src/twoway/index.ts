export { listConflicts, resolveConflict } from './conflicts.js';
export {
  type ConflictChoice,
  type ConflictContext,
  type ConflictRule,
  type DeletePolicyTwoWay,
  defineTwoWay,
  type FieldMapping,
  type MatchOptions,
  type MatchRecord,
  type ResolvedField,
  type TwoWayOptions,
  type TwoWayTask,
} from './define.js';
export { type PairAction, type Plan, type PlanInput, planTwoWay, type SideRead } from './plan.js';
export { runTwoWay, type TwoWayRunOptions, type TwoWayRunResult } from './run.js';
export { type SideFromOptions, sideFrom } from './side.js';
export { type ConflictFilter, type TwoWayCommit, type TwoWayStore, twoWayStore } from './store.js';
export {
  type ConflictDecision,
  type ConflictRow,
  type ConflictState,
  type ConflictWrite,
  emptyReport,
  type FieldValues,
  type InflightValues,
  type PairState,
  type Side,
  type SidePage,
  type SideReadOptions,
  type SideSnapshot,
  type SideWrite,
  type SideWriteResult,
  TWO_WAY_UNIT,
  type TwoWayReport,
  type TwoWaySide,
} from './types.js';
