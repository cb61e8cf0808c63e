import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { KeepsyncError } from '../model/index.js';

/** The dashboard controls every sync: whoever reaches it can pause, trigger and resolve. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** Bound beyond this machine, the dashboard must have a token: refuse to start without one. */
export function assertBindAllowed(host: string, token: string | undefined): void {
  if (!isLoopbackHost(host) && !token) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected a dashboard token to listen on ${host} (beyond this machine): set KEEPSYNC_DASHBOARD_TOKEN, or listen on 127.0.0.1`,
    );
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * With a token, every route but the page itself needs `Authorization: Bearer <token>` (the
 * page carries none of the data; it reads the token from the URL's #fragment, which browsers
 * never send). Without one (loopback only), the Host header must name this machine, so a web
 * page elsewhere cannot reach it by DNS rebinding. Writes must be JSON: a cross-site form or a
 * simple fetch cannot send that without a CORS preflight, which the dashboard never answers.
 */
export function accessControl(token: string | undefined): MiddlewareHandler {
  const expected = token ? digest(token) : null;
  return async (c, next) => {
    if (expected) {
      const given = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
      if (c.req.path !== '/' && !(given && timingSafeEqual(digest(given), expected))) {
        return c.json({ error: 'a valid dashboard token is required' }, 401);
      }
    } else {
      // A Request built in-process (tests, mounting) may carry no Host header: its URL's host.
      const host = (c.req.header('host') ?? new URL(c.req.url).host).replace(/:\d+$/, '');
      if (!isLoopbackHost(host)) return c.json({ error: `host ${host} is not this machine` }, 403);
    }
    if (c.req.method === 'POST' && !c.req.header('content-type')?.startsWith('application/json')) {
      return c.json({ error: 'expected a JSON body (content-type: application/json)' }, 415);
    }
    await next();
  };
}
