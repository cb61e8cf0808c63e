import { afterEach, describe, expect, it } from 'vitest';
import { connectMcp, McpToolError } from '../../../src/connectors/support/mcp/index.js';
import { isAuthError } from '../../../src/model/index.js';
import { errorResult, FakeMcp, jsonResult } from '../../fakes/mcp-server.js';

let serial = 0;
const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of opened.splice(0)) await close();
});

async function start(tokens = new Set(['good'])) {
  const fake = await new FakeMcp({ name: 'echo', isValidToken: (token) => tokens.has(token ?? '') })
    .tool('echo', (args) => jsonResult('Echoed', { args }))
    .tool('refuse', () => errorResult('Validation error: field title is required'), {
      writes: true,
    })
    .start();
  opened.push(() => fake.close());
  // A fresh credential label per test: the limiter is shared per credential, as in production.
  const client = await connectMcp({
    url: fake.url,
    auth: { token: 'good' },
    allowLoopback: true,
    requestsPerSecond: 200,
    concurrency: 4,
    minDelayMs: 5,
    retries: 10,
  });
  opened.push(() => client.close());
  serial++;
  return { fake, client, tokens };
}

describe('MCP tool client', () => {
  it('calls a tool over Streamable HTTP and reads the JSON of its text result', async () => {
    const { fake, client } = await start();
    const result = await client.call('echo', { n: serial });
    expect(result.json).toEqual({ args: { n: serial } });
    expect(fake.calls).toEqual([{ tool: 'echo', args: { n: serial } }]);
  });

  it('surfaces isError as an McpToolError naming the tool and the record, without retrying', async () => {
    const { fake, client } = await start();
    const error = await client.call('refuse', {}, { record: 'K-7' }).catch((caught) => caught);
    expect(error).toBeInstanceOf(McpToolError);
    expect(error).toMatchObject({ tool: 'refuse', record: 'K-7', code: 'DESTINATION_REJECTED' });
    expect((error as Error).message).toContain('field title is required');
    expect(fake.calls.filter((call) => call.tool === 'refuse')).toHaveLength(1);
  });

  it('retries 429 after the Retry-After, and 5xx and HTML 5xx from a proxy', async () => {
    const { fake, client } = await start();
    fake.server.setRateLimit({ requestsPerSecond: 5, burst: 2 });
    const results = await Promise.all([1, 2, 3].map((n) => client.call('echo', { n })));
    expect(results.map((result) => result.json)).toEqual([1, 2, 3].map((n) => ({ args: { n } })));
    expect(fake.server.count({ status: 429 })).toBeGreaterThan(0);
    fake.server.setRateLimit(undefined);
    fake.server.inject({ kind: 'status', status: 503, times: 2, method: 'POST' });
    fake.server.inject({ kind: 'status', status: 502, html: true, method: 'POST' });
    expect((await client.call('echo', { n: 4 })).json).toEqual({ args: { n: 4 } });
    expect(fake.server.count({ status: 503 })).toBe(2);
    expect(fake.server.count({ status: 502 })).toBe(1);
  });

  it('opens the session again when the initialize answer was lost', async () => {
    const { fake, client } = await start();
    fake.server.inject({ kind: 'drop', method: 'POST' });
    expect((await client.call('echo', { n: 1 })).json).toEqual({ args: { n: 1 } });
    expect(fake.server.count({ status: 0 })).toBe(1);
  });

  it('a refused static token is an AuthError: the unit pauses instead of retrying', async () => {
    const { fake, client, tokens } = await start();
    tokens.clear();
    const error = await client.call('echo', {}).catch((caught) => caught);
    expect(isAuthError(error)).toBe(true);
    expect(fake.server.count({ status: 401 })).toBe(1);
  });
});
