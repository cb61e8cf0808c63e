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
export { Engine, type EngineOptions, type EngineState } from './engine.js';
export { nextRunAfter } from './schedule.js';
