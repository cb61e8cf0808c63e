import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** As long as fetch waits for an answer by default (undici's headers and body timeouts). */
const ANSWER_TIMEOUT_MS = 300_000;

export interface PooledAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** A connection problem (refused, reset, timed out): the request may not have reached the server. */
export class ConnectionError extends Error {
  readonly code: string;

  constructor(code: string, options?: ErrorOptions) {
    super(code, options);
    this.code = code;
  }
}

/**
 * Keep-alive connections for a client's writes, at most `sockets` per host. A copy sends one
 * request per resource; a fetch per request leaves much more garbage behind (its streams,
 * Request and Response objects), and a copy of 100,000 resources grew its heap by that.
 */
export class ConnectionPool {
  readonly #http: HttpAgent;
  readonly #https: HttpsAgent;

  constructor(sockets: number) {
    const options = { keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets };
    this.#http = new HttpAgent(options);
    this.#https = new HttpsAgent(options);
  }

  /** One request; no redirect is followed (a 3xx is the answer). */
  send(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<PooledAnswer> {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    return new Promise((resolve, reject) => {
      const outgoing = send(
        target,
        {
          method,
          agent: secure ? this.#https : this.#http,
          headers: {
            ...headers,
            ...(payload === undefined ? {} : { 'content-length': String(payload.length) }),
          },
          ...(signal ? { signal } : {}),
        },
        (incoming) => {
          readAnswer(incoming).then(resolve, reject);
        },
      );
      outgoing.setTimeout(ANSWER_TIMEOUT_MS, () => {
        outgoing.destroy(new ConnectionError('ETIMEDOUT'));
      });
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        if (signal?.aborted || error.name === 'AbortError') reject(error);
        else reject(new ConnectionError(error.code ?? error.message, { cause: error }));
      });
      outgoing.end(payload);
    });
  }
}

async function readAnswer(incoming: IncomingMessage): Promise<PooledAnswer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
  } catch (error) {
    throw new ConnectionError((error as NodeJS.ErrnoException).code ?? 'ECONNRESET', {
      cause: error,
    });
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return {
    status: incoming.statusCode ?? 0,
    headers,
    text: Buffer.concat(chunks).toString('utf8'),
  };
}
