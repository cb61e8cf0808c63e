import type { FakeServer } from '../fakes/index.js';

/** A way a service can be down, started and ended on its fake. */
export interface Outage {
  readonly name: string;
  begin(server: FakeServer): Promise<void> | void;
  end(server: FakeServer): Promise<void> | void;
}

const LONG = 100_000;

/**
 * The outages every SaaS destination must tell from a bad record: 5xx in the service's own
 * error body, an HTML 502 page from a proxy, requests that never get an answer, and a refused
 * connection. `writes` narrows the faults to the write requests, so reads keep working.
 */
export function outages(writes: { method: string; path: RegExp }): Outage[] {
  const clear = (server: FakeServer) => server.clearFaults();
  return [
    {
      name: '503 answers',
      begin: (server) => server.inject({ kind: 'status', status: 503, times: LONG, ...writes }),
      end: clear,
    },
    {
      name: 'HTML 502 pages from a proxy',
      begin: (server) =>
        server.inject({ kind: 'status', status: 502, html: true, times: LONG, ...writes }),
      end: clear,
    },
    {
      name: 'timeouts',
      begin: (server) => server.inject({ kind: 'timeout', times: LONG, ...writes }),
      end: clear,
    },
    {
      name: 'refused connections',
      begin: (server) => server.refuseConnections(),
      end: (server) => server.acceptConnections(),
    },
  ];
}
