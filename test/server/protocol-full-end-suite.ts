import { describe, expect, it } from 'vitest';
import type { DocumentStore } from '../../src/server/index.js';
import { ndjsonLines, serveForSuite, token, upsert } from './helpers.js';

/** `/sync/full?end_marker=true`: every response ends with a line counting its documents. */
export function describeFullEndProtocol(
  name: string,
  makeStore: () => Promise<DocumentStore>,
): void {
  describe(`sync full resync end marker on ${name}`, () => {
    const suite = serveForSuite(makeStore, {
      server: { fullResyncPageSize: 3 },
      tenantPrefix: 'end',
      seed: async (running, jwt) => {
        const changes = Array.from({ length: 7 }, (_, i) => upsert(`d${i}`, { v: i }));
        expect((await running.push(jwt, { client_id: 'c', changes })).status).toBe(200);
      },
    });
    const lines = (text: string) => ndjsonLines(text) as Array<Record<string, unknown>>;

    it('ends each page with {"type":"end","count":N}, gzipped or not', async () => {
      const whole = await suite.running.request('/sync/full?collections=tasks&end_marker=true', {
        token: suite.jwt,
      });
      const rows = lines(await whole.text());
      expect(rows).toHaveLength(8);
      expect(rows.at(-1)).toEqual({ type: 'end', count: 7 });

      const gzipped = await suite.running.request('/sync/full?collections=tasks&end_marker=true', {
        token: suite.jwt,
        headers: { 'accept-encoding': 'gzip' },
      });
      expect(gzipped.headers.get('content-encoding')).toBe('gzip');
      expect(lines(await gzipped.text()).at(-1)).toEqual({ type: 'end', count: 7 });

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ collections: 'tasks', limit: '4', end_marker: 'true' });
        if (cursor) query.set('cursor', cursor);
        const response = await suite.running.request(`/sync/full?${query}`, { token: suite.jwt });
        cursor = response.headers.get('x-sync-cursor');
        const page = lines(await response.text());
        const end = page.pop();
        expect(end).toEqual({ type: 'end', count: page.length });
        for (const row of page) seen.push(row.doc_id as string);
      } while (cursor);
      expect(seen).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6']);
    });

    it('sends the end line on an empty export, and none unless asked (older clients)', async () => {
      const empty = await token({ sub: 'u', tenant: 'end-empty' }, { expiresIn: '1h' });
      const response = await suite.running.request('/sync/full?collections=tasks&end_marker=true', {
        token: empty,
      });
      expect(lines(await response.text())).toEqual([{ type: 'end', count: 0 }]);
      const plain = await suite.running.request('/sync/full?collections=tasks', {
        token: suite.jwt,
      });
      const rows = lines(await plain.text());
      expect(rows).toHaveLength(7);
      expect(rows.every((row) => row.type === undefined)).toBe(true);
    });

    it('refuses an end_marker that is not true or false', async () => {
      const response = await suite.running.request('/sync/full?collections=tasks&end_marker=yes', {
        token: suite.jwt,
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'REQUEST_INVALID' } });
    });
  });
}
