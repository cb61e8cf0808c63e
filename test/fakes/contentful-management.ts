import { fail, managementError } from './contentful-management-errors.js';
import { listEntries } from './contentful-management-list.js';
import {
  type FakeContentTypeField,
  publishErrors,
  saveErrors,
} from './contentful-management-validation.js';
import { type FakeRequest, type FakeResponse, FakeServer, type RateLimit } from './fake-server.js';

export type { FakeContentTypeField, FakeFieldType } from './contentful-management-validation.js';

/** An entry as the CMA holds it: every locale, the draft, and its versions. */
export interface FakeManagementEntry {
  id: string;
  contentType: string;
  fields: Record<string, Record<string, unknown>>;
  version: number;
  publishedVersion?: number;
  archivedVersion?: number;
  createdAt: string;
  updatedAt: string;
}

export interface FakeManagementOptions {
  space: string;
  environment: string;
  /** Management tokens that authenticate. */
  tokens: readonly string[];
  /** Locale codes; the first is the default. */
  locales: readonly string[];
  /** The CMA allows 7 (Community) or 10 (Team and up) requests per second. */
  rateLimit?: RateLimit | undefined;
  /** Told of every publish and unpublish, so the delivery side sees them. */
  onPublished(entry: FakeManagementEntry): void;
  onUnpublished(id: string): void;
}

const ENTRY_ID = /^[a-zA-Z0-9\-_.]{1,64}$/;

/**
 * A fake of the Content Management API's entry endpoints, as its reference describes them:
 * entries created with a chosen id (`PUT` + `X-Contentful-Content-Type`), every change after
 * that only with the current `X-Contentful-Version` (409 VersionMismatch otherwise, and 404
 * when a version is sent for an entry that does not exist), type checks on save, required
 * fields and sizes on publish (422 ValidationFailed with `details.errors` naming the path),
 * publish/unpublish/archive/delete with their preconditions, locales, and 429 with
 * `X-Contentful-RateLimit-Reset`.
 */
export class FakeContentfulManagement {
  readonly server: FakeServer;
  readonly entries = new Map<string, FakeManagementEntry>();
  readonly contentTypes = new Map<string, FakeContentTypeField[]>();
  /** The query of every `GET /entries`, for tests of what a reader asked for. */
  readonly listQueries: URLSearchParams[] = [];
  readonly #options: FakeManagementOptions;
  readonly #tokens: Set<string>;
  readonly #beforePut = new Map<string, () => void>();
  #clock: () => number = Date.now;

  constructor(options: FakeManagementOptions) {
    this.#options = options;
    this.#tokens = new Set(options.tokens);
    this.server = new FakeServer({
      name: 'Contentful Management',
      errorBody: managementError,
      rateLimit: options.rateLimit,
      rateLimited: {
        status: 429,
        code: 'RateLimitExceeded',
        message: 'rate limited',
        headers: (seconds) => ({ 'x-contentful-ratelimit-reset': String(seconds) }),
      },
      isValidToken: (token) => token !== undefined && this.#tokens.has(token),
    });
    const base = '/spaces/:space/environments/:env';
    const scoped =
      (handler: (request: FakeRequest) => FakeResponse) =>
      (request: FakeRequest): FakeResponse =>
        request.params.space === options.space && request.params.env === options.environment
          ? handler(request)
          : fail(404);
    this.server
      .route(
        'GET',
        `${base}/locales`,
        scoped(() => this.#locales()),
      )
      .route(
        'GET',
        `${base}/content_types/:ct`,
        scoped((request) => this.#contentType(request)),
      )
      .route(
        'GET',
        `${base}/entries`,
        scoped((request) => this.#list(request)),
      )
      .route(
        'GET',
        `${base}/entries/:id`,
        scoped((request) => this.#get(request)),
      )
      .route(
        'PUT',
        `${base}/entries/:id`,
        scoped((request) => this.#put(request)),
      )
      .route(
        'DELETE',
        `${base}/entries/:id`,
        scoped((request) => this.#delete(request)),
      )
      .route(
        'PUT',
        `${base}/entries/:id/published`,
        scoped((request) => this.#publish(request)),
      )
      .route(
        'DELETE',
        `${base}/entries/:id/published`,
        scoped((request) => this.#unpublish(request)),
      )
      .route(
        'PUT',
        `${base}/entries/:id/archived`,
        scoped((request) => this.#archive(request)),
      )
      .route(
        'DELETE',
        `${base}/entries/:id/archived`,
        scoped((request) => this.#unarchive(request)),
      );
  }

  revokeToken(token: string): void {
    this.#tokens.delete(token);
  }

  /** Sets the clock `sys.updatedAt` comes from (tests give entries one timestamp). */
  setClock(now: () => number): void {
    this.#clock = now;
  }

  #now(): string {
    return new Date(this.#clock()).toISOString();
  }

  /** Saves a new entry as a person in the web app would: a draft at version 1. */
  draft(id: string, contentType: string, fields: Record<string, Record<string, unknown>>): void {
    const now = this.#now();
    this.entries.set(id, { id, contentType, fields, version: 1, createdAt: now, updatedAt: now });
  }

  /** Publishes the current version, as the web app's Publish button does. */
  publishNow(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) throw new Error(`no entry ${id}`);
    entry.publishedVersion = entry.version;
    this.#touch(entry);
    this.#options.onPublished(entry);
  }

  /** Deletes an entry whatever its state (unpublished first, as the web app does). */
  remove(id: string): void {
    if (this.entries.get(id)?.publishedVersion) this.#options.onUnpublished(id);
    this.entries.delete(id);
  }

  defineContentType(id: string, fields: FakeContentTypeField[]): void {
    this.contentTypes.set(id, fields);
  }

  /** Edits an entry as a person in the web app would (a new draft version). */
  edit(id: string, fields: Record<string, Record<string, unknown>>): void {
    const entry = this.entries.get(id);
    if (!entry) throw new Error(`no entry ${id}`);
    entry.fields = { ...entry.fields, ...fields };
    this.#touch(entry);
  }

  /** Runs `edit` just before the next PUT of this entry: a person saving it meanwhile. */
  editBeforeNextWrite(id: string, fields: Record<string, Record<string, unknown>>): void {
    this.#beforePut.set(id, () => this.edit(id, fields));
  }

  #touch(entry: FakeManagementEntry): void {
    entry.version++;
    entry.updatedAt = this.#now();
  }

  #json(entry: FakeManagementEntry): unknown {
    const link = (linkType: string, id: string) => ({ sys: { type: 'Link', linkType, id } });
    return {
      metadata: { tags: [] },
      sys: {
        type: 'Entry',
        id: entry.id,
        version: entry.version,
        ...(entry.publishedVersion ? { publishedVersion: entry.publishedVersion } : {}),
        ...(entry.archivedVersion ? { archivedVersion: entry.archivedVersion } : {}),
        createdAt: entry.createdAt,
        updatedAt: entry.updatedAt,
        space: link('Space', this.#options.space),
        environment: link('Environment', this.#options.environment),
        contentType: link('ContentType', entry.contentType),
      },
      fields: entry.fields,
    };
  }

  #locales(): FakeResponse {
    const items = this.#options.locales.map((code, index) => ({
      sys: { type: 'Locale', id: `locale-${index}`, version: 1 },
      name: code,
      code,
      default: index === 0,
      optional: index > 0,
      fallbackCode: index === 0 ? null : this.#options.locales[0],
    }));
    return {
      status: 200,
      body: { sys: { type: 'Array' }, total: items.length, skip: 0, limit: 100, items },
    };
  }

  #contentType({ params }: FakeRequest): FakeResponse {
    const fields = this.contentTypes.get(params.ct!);
    if (!fields) return fail(404);
    return {
      status: 200,
      body: {
        sys: { type: 'ContentType', id: params.ct, version: 1 },
        name: params.ct,
        displayField: fields[0]?.id ?? null,
        fields: fields.map((field) => ({
          id: field.id,
          name: field.id,
          type: field.type,
          localized: true,
          required: field.required ?? false,
        })),
      },
    };
  }

  #list({ query, path }: FakeRequest): FakeResponse {
    this.listQueries.push(query);
    return listEntries(
      this.entries.values(),
      query,
      path.length,
      (status, message) => fail(status, undefined, message),
      (entry) => this.#json(entry),
    );
  }

  #get({ params }: FakeRequest): FakeResponse {
    const entry = this.entries.get(params.id!);
    return entry ? { status: 200, body: this.#json(entry) } : fail(404);
  }

  #put({ params, headers, body }: FakeRequest): FakeResponse {
    const id = params.id!;
    const interleaved = this.#beforePut.get(id);
    this.#beforePut.delete(id);
    interleaved?.();
    const existing = this.entries.get(id);
    const versionHeader = headers['x-contentful-version'];
    const fields = ((body as { fields?: unknown } | undefined)?.fields ?? {}) as Record<
      string,
      Record<string, unknown>
    >;
    if (!existing) {
      if (versionHeader !== undefined) return fail(404);
      if (!ENTRY_ID.test(id)) {
        return fail(422, {
          errors: [{ name: 'regexp', path: ['sys', 'id'], details: `Invalid id ${id}` }],
        });
      }
      const contentType = String(headers['x-contentful-content-type'] ?? '');
      if (!this.contentTypes.has(contentType)) {
        return fail(422, {
          errors: [
            {
              name: 'unknownContentType',
              path: ['sys', 'contentType'],
              details: `The content type ${contentType || '(none)'} does not exist`,
            },
          ],
        });
      }
      const errors = saveErrors(
        this.contentTypes.get(contentType) ?? [],
        this.#options.locales,
        fields,
      );
      if (errors.length > 0) return fail(422, { errors });
      const now = this.#now();
      const entry: FakeManagementEntry = {
        id,
        contentType,
        fields,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      this.entries.set(id, entry);
      return { status: 201, body: this.#json(entry) };
    }
    if (Number(versionHeader) !== existing.version) return fail(409);
    if (existing.archivedVersion) {
      return fail(400, undefined, 'An archived entry cannot be changed; unarchive it first.');
    }
    const errors = saveErrors(
      this.contentTypes.get(existing.contentType) ?? [],
      this.#options.locales,
      fields,
    );
    if (errors.length > 0) return fail(422, { errors });
    existing.fields = fields;
    this.#touch(existing);
    return { status: 200, body: this.#json(existing) };
  }

  #publish({ params, headers }: FakeRequest): FakeResponse {
    const entry = this.entries.get(params.id!);
    if (!entry) return fail(404);
    if (Number(headers['x-contentful-version']) !== entry.version) return fail(409);
    if (entry.archivedVersion)
      return fail(400, undefined, 'An archived entry cannot be published.');
    const errors = publishErrors(
      this.contentTypes.get(entry.contentType) ?? [],
      this.#options.locales[0]!,
      entry.fields,
    );
    if (errors.length > 0) return fail(422, { errors });
    entry.publishedVersion = entry.version;
    this.#touch(entry);
    this.#options.onPublished(entry);
    return { status: 200, body: this.#json(entry) };
  }

  #unpublish({ params }: FakeRequest): FakeResponse {
    const entry = this.entries.get(params.id!);
    if (!entry) return fail(404);
    if (!entry.publishedVersion) return fail(400, undefined, 'The entry is not published.');
    delete entry.publishedVersion;
    this.#touch(entry);
    this.#options.onUnpublished(entry.id);
    return { status: 200, body: this.#json(entry) };
  }

  #archive({ params }: FakeRequest): FakeResponse {
    const entry = this.entries.get(params.id!);
    if (!entry) return fail(404);
    if (entry.publishedVersion) {
      return fail(400, undefined, 'A published entry cannot be archived; unpublish it first.');
    }
    if (!entry.archivedVersion) {
      entry.archivedVersion = entry.version;
      this.#touch(entry);
    }
    return { status: 200, body: this.#json(entry) };
  }

  #unarchive({ params }: FakeRequest): FakeResponse {
    const entry = this.entries.get(params.id!);
    if (!entry) return fail(404);
    if (!entry.archivedVersion) return fail(400, undefined, 'The entry is not archived.');
    delete entry.archivedVersion;
    this.#touch(entry);
    return { status: 200, body: this.#json(entry) };
  }

  #delete({ params }: FakeRequest): FakeResponse {
    const entry = this.entries.get(params.id!);
    if (!entry) return fail(404);
    if (entry.publishedVersion) {
      return fail(400, undefined, 'A published entry cannot be deleted; unpublish it first.');
    }
    this.entries.delete(entry.id);
    return { status: 204 };
  }
}
