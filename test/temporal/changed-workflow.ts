// A deliberately changed shape of the unit workflow (it waits its interval before the first
// run, as durable-sync did): replaying recorded history against it must fail.
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { UnitWorkflowInput } from '../../src/temporal/index.js';

const activities = proxyActivities<Record<string, (input: unknown) => Promise<unknown>>>({
  startToCloseTimeout: 60_000,
});

export async function keepsyncUnit(input: UnitWorkflowInput): Promise<void> {
  for (;;) {
    await sleep(input.schedule.everyMs ?? 60_000);
    await activities['keepsync.runUnit']!({ ...input, keys: null, trigger: 'schedule' });
  }
}
