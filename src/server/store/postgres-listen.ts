import type { Pg, PgPool } from '../../store/index.js';

// Types only, erased from the build: `pg` is an optional peer loaded on demand.
type Client = import('pg').Client;

export interface CommitListenerDeps {
  readonly pg: Pg;
  readonly pool: PgPool;
  readonly channel: string;
  /** The open listener connections, so closing the store ends them. */
  readonly listeners: Set<Client>;
}

/**
 * LISTENs on the store's commit channel on a connection of its own, reconnecting when it is
 * lost; after every (re)connect it reports `null` (anything may have changed meanwhile).
 * Returns the stop function.
 */
export async function listenForCommits(
  deps: CommitListenerDeps,
  onCommit: (scope: string | null, seq: number) => void,
): Promise<() => Promise<void>> {
  let stopped = false;
  let client: Client | null = null;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const next = new deps.pg.Client(
      (deps.pool as unknown as { options: import('pg').ClientConfig }).options,
    );
    next.on('notification', (message) => {
      try {
        const payload = JSON.parse(message.payload ?? '{}') as { s?: string; q?: number };
        if (typeof payload.s === 'string') onCommit(payload.s, Number(payload.q ?? 0));
      } catch {}
    });
    const reconnect = () => {
      if (stopped || client !== next) return;
      client = null;
      deps.listeners.delete(next);
      next.end().catch(() => {});
      retry = setTimeout(() => {
        connect().catch(() => reconnect());
      }, 1000);
    };
    next.on('error', reconnect);
    next.on('end', reconnect);
    client = next;
    deps.listeners.add(next);
    await next.connect();
    await next.query(`LISTEN "${deps.channel}"`);
    // Anything committed while we were not listening: let every reader look again.
    onCommit(null, 0);
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const current = client;
    client = null;
    if (current) {
      deps.listeners.delete(current);
      await current.end().catch(() => {});
    }
  };
}
