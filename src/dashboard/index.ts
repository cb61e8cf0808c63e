export { assertBindAllowed, isLoopbackHost } from './access.js';
export { createLiveProgress, type LiveProgress } from './live.js';
export { createPipelineMetrics, type PipelineMetrics } from './metrics.js';
export type { DashboardTask, Overview, RunView, TaskView, UnitView } from './overview.js';
export {
  createDashboard,
  type Dashboard,
  type DashboardListenOptions,
  type DashboardOptions,
} from './server.js';
