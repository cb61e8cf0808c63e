import { isIP } from 'node:net';
import { getDomain } from 'tldts';
import { AuthError } from '../../../model/index.js';

export interface EndpointPolicy {
  /** The MCP server the person named; discovered endpoints must share its registrable domain. */
  readonly serverUrl: string | URL;
  /** Further hosts (exact names) a discovered endpoint may be on, e.g. a separate identity provider. */
  readonly allowHosts?: readonly string[] | undefined;
  /**
   * Lets plain-http loopback addresses (127.0.0.1, ::1, localhost) through. Only for tests and
   * local fakes: never set it for a hosted server. @default false
   */
  readonly allowLoopback?: boolean | undefined;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Why a URL may not be fetched, or undefined when it may: every endpoint an MCP server or its
 * authorization server points keepsync at (metadata, registration, token) passes here, so a
 * hostile or compromised server cannot make keepsync post a code or refresh token to an
 * internal address or a foreign domain.
 */
export function endpointRefusal(url: URL, policy: EndpointPolicy): string | undefined {
  const server = new URL(policy.serverUrl);
  const host = url.hostname.toLowerCase();
  if (LOOPBACK.has(host)) {
    // Even in tests, only the server's own loopback host: `localhost` is not `127.0.0.1`.
    const allowed = policy.allowLoopback && host === server.hostname.toLowerCase();
    return allowed ? undefined : 'it is a loopback address';
  }
  if (url.protocol !== 'https:') return `it is not https (${url.protocol.replace(':', '')})`;
  if (url.username || url.password) return 'it carries credentials';
  if ((policy.allowHosts ?? []).some((allowed) => allowed.toLowerCase() === host)) return undefined;
  if (isIP(host.replace(/^\[|\]$/g, '')) !== 0) {
    return host === server.hostname.toLowerCase() ? undefined : 'it is a bare IP address';
  }
  // Private suffixes too (github.io, vercel.app): two tenants of one suffix are strangers.
  const domain = getDomain(host, { allowPrivateDomains: true });
  const serverDomain = getDomain(server.hostname, { allowPrivateDomains: true });
  if (!domain || domain !== serverDomain) {
    return `it is outside ${serverDomain ?? server.hostname} (the MCP server's domain) and not allow-listed`;
  }
  return undefined;
}

/** A fetch that refuses what `endpointRefusal` refuses and never follows a redirect off-policy. */
export function guardedFetch(policy: EndpointPolicy, base: typeof fetch = fetch): typeof fetch {
  const check = (url: URL) => {
    const refusal = endpointRefusal(url, policy);
    if (refusal) {
      // An AuthError: the unit pauses until a person has looked at the server's metadata.
      throw new AuthError(
        `Refused the MCP endpoint ${url.origin}${url.pathname}: ${refusal}; allow it with \`allowHosts\` if it is the server's own`,
      );
    }
  };
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    check(url);
    const response = await base(input, { ...init, redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const target = new URL(location, url);
      check(target);
      await response.body?.cancel();
      return base(target, { ...init, redirect: 'manual' });
    }
    return response;
  };
}
