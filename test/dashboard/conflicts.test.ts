import { afterEach, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/dashboard/index.js';
import type { Store } from '../../src/store/index.js';
import { silentLogger } from '../../src/sync/index.js';
import { setup } from '../twoway/helpers.js';

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

describe('two-way conflicts on the dashboard', () => {
  it('lists an open conflict, counts it in /metrics, and resolves it so the next run applies it', async () => {
    const { left, right, run, store } = setup({ conflict: 'manual' });
    stores.push(store);
    left.put('a', { title: 'A', done: false });
    await run();
    left.patch('a', { title: 'L' });
    right.patch('a', { name: 'R', completed: true });
    await run();
    const dashboard = await createDashboard({
      store,
      tasks: [{ name: 'tasks', kind: 'two-way' }],
      logger: silentLogger,
    });
    const get = (path: string) => dashboard.fetch(new Request(`http://127.0.0.1${path}`));
    const { conflicts } = (await (await get('/api/overview')).json()) as {
      conflicts: { id: number; task: string; field: string; state: string }[];
    };
    expect(conflicts).toMatchObject([{ task: 'tasks', field: 'title', state: 'open' }]);
    expect(await (await get('/metrics')).text()).toMatch(
      /^keepsync_open_conflicts\{task="tasks"\} 1$/m,
    );

    const bad = await dashboard.fetch(
      new Request(`http://127.0.0.1/api/conflicts/${conflicts[0]!.id}/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ take: 'middle' }),
      }),
    );
    expect(bad.status).toBe(400);
    const resolved = await dashboard.fetch(
      new Request(`http://127.0.0.1/api/conflicts/${conflicts[0]!.id}/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ take: 'right' }),
      }),
    );
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toMatchObject({ state: 'decided', decision: { take: 'right' } });
    await run();
    expect(left.get('a')!.fields).toEqual({ title: 'R', done: true });
    expect(await (await get('/metrics')).text()).toMatch(
      /^keepsync_open_conflicts\{task="tasks"\} 0$/m,
    );
    await dashboard.close();
  });
});
