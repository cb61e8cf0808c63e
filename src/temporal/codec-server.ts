import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { isKeepsyncError } from '../model/index.js';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Origins allowed to call from a browser, e.g. the Temporal UI's `http://localhost:8233`. */
  corsOrigins?: readonly string[] | undefined;
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  token?: string | undefined;
}

/** Payloads as the Temporal UI and CLI send them: metadata values and data in base64. */
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * The codec server the Temporal UI and `temporal workflow show --codec-endpoint` call to show
 * history in clear: POST /decode and /encode with `{ payloads: [...] }`. It holds the keys, so
 * bind it to loopback or put it behind the same login as the UI.
 */
export function createCodecServer(options: CodecServerOptions): Server {
  const origins = new Set(options.corsOrigins ?? []);
  return createServer((request, response) => {
    const origin = request.headers.origin;
    if (origin && origins.has(origin)) {
      response.setHeader('access-control-allow-origin', origin);
      response.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      response.setHeader(
        'access-control-allow-headers',
        'content-type, x-namespace, authorization',
      );
      response.setHeader('access-control-allow-credentials', 'true');
      response.setHeader('vary', 'origin');
    }
    if (request.method === 'OPTIONS') return send(response, 204);
    void handle(request, response, options).catch((error: unknown) => {
      if (!response.headersSent) {
        send(response, 500, { message: error instanceof Error ? error.message : String(error) });
      }
    });
  });
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  options: CodecServerOptions,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://codec').pathname;
  if (request.method !== 'POST' || (path !== '/decode' && path !== '/encode')) {
    return send(response, 404, { message: 'Expected POST /decode or POST /encode' });
  }
  if (options.token && !bearerMatches(request.headers.authorization, options.token)) {
    return send(response, 401, { message: 'Expected Authorization: Bearer <codec server token>' });
  }
  let body: { payloads?: unknown };
  try {
    body = JSON.parse(await readBody(request)) as { payloads?: unknown };
  } catch (error) {
    return send(response, 400, { message: `Expected a JSON body: ${(error as Error).message}` });
  }
  if (!Array.isArray(body.payloads)) {
    return send(response, 400, { message: 'Expected a body of the form {"payloads": [...]}' });
  }
  const payloads = (body.payloads as JsonPayload[]).map(fromJson);
  try {
    const result =
      path === '/decode'
        ? await options.codec.decode(payloads)
        : await options.codec.encode(payloads);
    send(response, 200, { payloads: result.map(toJson) });
  } catch (error) {
    // A payload under a key this server lacks, or tampered data: say so, without the bytes.
    if (isKeepsyncError(error)) return send(response, 422, { message: error.message });
    throw error;
  }
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(header ?? '')?.[1] ?? '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function fromJson(payload: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    metadata[key] = new Uint8Array(Buffer.from(value, 'base64'));
  }
  return { metadata, data: new Uint8Array(Buffer.from(payload.data ?? '', 'base64')) };
}

function toJson(payload: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    if (value) metadata[key] = Buffer.from(value).toString('base64');
  }
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body?: unknown): void {
  response.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}
