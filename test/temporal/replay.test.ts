import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { bundleKeepsyncWorkflows } from '../../src/temporal/index.js';

// Recorded on a real dev server by test/temporal/record-history.ts.
const history = JSON.parse(
  readFileSync(join(import.meta.dirname, 'histories', 'keepsync-unit.json'), 'utf8'),
) as unknown;

describe('replaying a recorded unit workflow history', () => {
  it('replays with today’s workflow code (determinism kept)', async () => {
    const events = (history as { events: Array<Record<string, unknown>> }).events;
    // The recording covers the branches that matter: signals, an auth pause, a timer, a cancel.
    const kinds = new Set(events.map((event) => String(event.eventType)));
    expect([...kinds]).toEqual(
      expect.arrayContaining([
        'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
        'EVENT_TYPE_ACTIVITY_TASK_FAILED',
        'EVENT_TYPE_TIMER_STARTED',
        'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED',
      ]),
    );
    await Worker.runReplayHistory(
      { workflowBundle: await bundleKeepsyncWorkflows() },
      history,
      'keepsync:recorded:u',
    );
  }, 60_000);

  it('catches a changed workflow shape', async () => {
    const changed = await bundleWorkflowCode({
      workflowsPath: join(import.meta.dirname, 'changed-workflow.ts'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });
    await expect(
      Worker.runReplayHistory({ workflowBundle: { code: changed.code } }, history),
    ).rejects.toMatchObject({ name: 'DeterminismViolationError' });
  }, 60_000);
});
