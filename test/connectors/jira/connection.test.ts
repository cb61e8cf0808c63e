import { describe, expect, it } from 'vitest';
import type { JiraClient } from '../../../src/connectors/jira/client.js';
import { connectJira } from '../../../src/connectors/jira/connection.js';

const telemetry = { retried: () => {}, waitedForRateLimit: () => {} };

/** Requests `count` calls at once and says how many started before the limiter's timer could run. */
async function startedAtOnce(options: Parameters<typeof connectJira>[0], count: number) {
  const { request } = await connectJira(options, { telemetry });
  let started = 0;
  const all = Promise.all(
    Array.from({ length: count }, () =>
      request('GET /myself', async () => {
        started++;
      }),
    ),
  );
  await new Promise((resolve) => setImmediate(resolve));
  const atOnce = started;
  await all;
  return atOnce;
}

describe('jira connection pacing', () => {
  it('lets a second of requests start back to back (burst), so late timers are made up', async () => {
    const client = {} as JiraClient;
    // Jira's default pace, 10/s: ten starts in one window of a second.
    const atOnce = await startedAtOnce(
      { auth: { email: 'burst@example.com', apiToken: 'burst-1' }, client },
      12,
    );
    expect(atOnce).toBe(10);
  });

  it('keeps starts spaced when `burst: 1` is asked for', async () => {
    const atOnce = await startedAtOnce(
      {
        auth: { email: 'burst@example.com', apiToken: 'burst-2' },
        client: {} as JiraClient,
        burst: 1,
      },
      3,
    );
    expect(atOnce).toBe(1);
  });
});
