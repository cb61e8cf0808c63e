import { type HttpClient, type HttpResponse, snippet } from '../../copy/index.js';
import { AuthError, canonicalJson, type JsonValue, KeepsyncError } from '../../model/index.js';
import type { RestCreateOptions } from './destination.js';
import { findRecords, readPath } from './json-path.js';

/** What the engine has of a create: the POST, and the way back to a resource by its key. */
export interface PostCreator {
  /** POSTs the fields and answers the id the service gave the new resource. */
  create(key: string, fields: Readonly<Record<string, unknown>>): Promise<string>;
  /** Ids of resources already written for these keys (only with `findUrl`). */
  lookup(keys: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

/** Stands for "found" in place of a repeated POST's answer; the id is kept beside it. */
const FOUND: HttpResponse = { status: 200, headers: new Headers(), text: '' };

export function postCreator(client: HttpClient, options: RestCreateOptions): PostCreator {
  const { findUrl } = options;

  async function find(key: string): Promise<string | undefined> {
    if (!findUrl) return undefined;
    const url = findUrl.replaceAll('{key}', encodeURIComponent(key));
    const response = await client.request('GET', url, { accept: 'application/json' });
    refuseAuth('GET', url, response);
    if (response.status === 404) return undefined;
    if (response.status >= 400) {
      throw new Error(`REST GET ${url} answered ${response.status}${snippet(response.text)}`);
    }
    const body = parseJson(response.text);
    const records =
      options.findRecords === undefined
        ? findRecords(body as JsonValue)
        : readPath(body as JsonValue, options.findRecords);
    if (!Array.isArray(records)) {
      throw configError(
        `REST GET ${url} answered no list${options.findRecords ? ` at \`${options.findRecords}\`` : ''}; set rest.destination \`create.findRecords\``,
      );
    }
    if (records.length === 0) return undefined;
    const idPath = options.findIdPath ?? 'id';
    const id = idOf(readPath(records[0], idPath));
    if (id === undefined) {
      throw configError(
        `REST GET ${url} found a resource without an id at \`${idPath}\` (record ${key})`,
      );
    }
    return id;
  }

  return {
    async create(key, fields) {
      let found: string | undefined;
      const response = await client.request('POST', options.url, {
        accept: 'application/json',
        body: canonicalJson(fields),
        contentType: 'application/json',
        ...(findUrl
          ? {
              recover: async () => {
                found = await find(key);
                return found === undefined ? undefined : FOUND;
              },
            }
          : {}),
      });
      if (found !== undefined) return found;
      refuseAuth('POST', options.url, response);
      if (response.status >= 400) {
        throw new KeepsyncError(
          'RECORD_INVALID',
          `REST POST ${options.url} answered ${response.status}${snippet(response.text)} (record ${key})`,
        );
      }
      const id = createdId(response);
      if (id === undefined) {
        // The resource exists now: failing the run, not the record, keeps it from being created again.
        throw configError(
          `REST POST ${options.url} answered ${response.status} without the new id ${
            options.idPath ? `at \`${options.idPath}\`` : 'in a Location header'
          } (record ${key}); set rest.destination \`create.idPath\``,
        );
      }
      return id;
    },
    async lookup(keys) {
      const ids = new Map<string, string>();
      if (!findUrl) return ids;
      await Promise.all(
        keys.map(async (key) => {
          const id = await find(key);
          if (id !== undefined) ids.set(key, id);
        }),
      );
      return ids;
    },
  };

  function createdId(response: HttpResponse): string | undefined {
    if (options.idPath !== undefined) {
      return idOf(readPath(parseJson(response.text) as JsonValue, options.idPath));
    }
    const location = response.headers.get('location');
    if (!location) return undefined;
    const path = new URL(location, options.url).pathname.replace(/\/+$/, '');
    const last = path.slice(path.lastIndexOf('/') + 1);
    return last ? decodeURIComponent(last) : undefined;
  }
}

function refuseAuth(verb: string, url: string, response: HttpResponse): void {
  if (response.status === 401 || response.status === 403) {
    throw new AuthError(`REST ${verb} ${url} was refused (${response.status})`);
  }
}

function idOf(value: JsonValue | undefined): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function configError(message: string): KeepsyncError {
  return new KeepsyncError('CONFIG_INVALID', message);
}
