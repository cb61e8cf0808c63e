import {
  canonicalJson,
  describeError,
  type JsonValue,
  KeepsyncError,
  RecordError,
} from '../model/index.js';
import {
  type CopyResource,
  contentHash,
  isJsonObject,
  type ResourceDocument,
  resourceKey,
} from './resource.js';

/** How id, type, uri and links are found in a document. */
export type ResourceSchemaName = 'hal' | 'simple';

export interface ResourceLink {
  readonly rel: string;
  readonly href: string;
}

export interface ResourceSchema {
  readonly name: ResourceSchemaName;
  /** A resource has an id; anything else (a page, an index) only carries resources and links. */
  isResource(doc: ResourceDocument): boolean;
  identify(
    doc: ResourceDocument,
    where: string,
  ): { id: string; type: string; uri: string | undefined };
  links(doc: ResourceDocument): ResourceLink[];
  /** Documents carried inside this one: HAL `_embedded`, or an `items` list. */
  embedded(doc: ResourceDocument): JsonValue[];
  /** A copy with every href (and the uri) passed through `rewrite`. */
  mapHrefs(doc: ResourceDocument, rewrite: (href: string) => string): ResourceDocument;
  /** Whether a link of this relation must be written before the resource that has it. */
  isDependency(rel: string): boolean;
  /** The document as it travels: hrefs to a snapshot's old host made host-relative. */
  normalise(doc: ResourceDocument): ResourceDocument;
}

export interface ResourceSchemaOptions {
  /**
   * Relations that are never dependencies, as names or `prefix*` patterns: back-links of HAL
   * APIs (`parent`, `up`) that would otherwise make a dependency cycle.
   */
  notDependencies?: readonly string[] | undefined;
  /**
   * The origin (`https://host[:port]`) a snapshot directory or file was taken from: its
   * absolute hrefs become host-relative, so a replay points them at the new host.
   */
  snapshotOrigin?: string | undefined;
}

type SchemaShape = Omit<ResourceSchema, 'isDependency' | 'normalise'>;

/** Relations that navigate rather than refer: never a dependency, never a plain follow. */
export const NAVIGATION_RELATIONS: ReadonlySet<string> = new Set([
  'self',
  'next',
  'prev',
  'previous',
  'first',
  'last',
]);

/**
 * A link is a dependency unless it navigates or points down to a child (`child:*`, the
 * microcosm convention); a resource is written after the resources it depends on.
 */
export function isDependency(rel: string): boolean {
  return !NAVIGATION_RELATIONS.has(rel) && !rel.startsWith('child:');
}

/** Whether a relation matches one of the patterns: a name, `prefix*`, or `*` for all. */
export function matchesRelation(patterns: readonly string[], rel: string): boolean {
  return patterns.some((pattern) =>
    pattern.endsWith('*') ? rel.startsWith(pattern.slice(0, -1)) : pattern === rel,
  );
}

export function resourceSchema(
  name: ResourceSchemaName,
  options: ResourceSchemaOptions = {},
): ResourceSchema {
  const shape: SchemaShape = name === 'hal' ? hal : simple;
  const notDependencies = options.notDependencies ?? [];
  const snapshot = options.snapshotOrigin ? snapshotOriginOf(options.snapshotOrigin) : undefined;
  const relativise = (href: string): string =>
    snapshot !== undefined && (href === snapshot || href.startsWith(`${snapshot}/`))
      ? href.slice(snapshot.length) || '/'
      : href;
  return {
    ...shape,
    isDependency: (rel) => isDependency(rel) && !matchesRelation(notDependencies, rel),
    normalise: (doc) => (snapshot === undefined ? doc : shape.mapHrefs(doc, relativise)),
  };
}

function snapshotOriginOf(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    url = new URL('invalid:');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname.length > 1) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected the snapshot host as http(s)://host[:port], got ${JSON.stringify(value)}`,
    );
  }
  return url.origin;
}

/** Validates a document as a resource and puts it in its travelling form. */
export function toResource(
  original: ResourceDocument,
  schema: ResourceSchema,
  where: string,
): CopyResource {
  const doc = schema.normalise(original);
  const { id, type, uri } = schema.identify(doc, where);
  let text: string;
  try {
    text = canonicalJson(doc);
  } catch (error) {
    throw new RecordError(`${where}: ${describeError(error)}`, { key: resourceKey(type, id) });
  }
  const dependsOn = schema
    .links(doc)
    .filter((link) => schema.isDependency(link.rel))
    .map((link) => shared(link.href));
  const key = detached(resourceKey(type, id));
  return {
    key,
    type: shared(type),
    id: detached(id),
    uri: uri === undefined ? undefined : detached(uri),
    dependsOn,
    hash: contentHash(text),
    text: detached(text),
    where,
  };
}

/**
 * A flat copy of `value` that shares no memory with the text it came from. A parser's
 * strings can be slices of its whole input (V8 keeps the parent alive) and built-up text a
 * tree of pieces, so a key, href or body held for the whole copy would otherwise keep each
 * file it was read from, or many small pieces per resource, in memory.
 */
function detached(value: string): string {
  return Buffer.from(value, 'utf8').toString('utf8');
}

/**
 * Types and link targets repeat across resources (every item of a group links to it): one
 * flat copy of each serves them all. Bounded, so a copy of many distinct links holds no more.
 */
const sharedCopies = new Map<string, string>();
const SHARED_COPIES = 10_000;

function shared(value: string): string {
  let copy = sharedCopies.get(value);
  if (copy === undefined) {
    if (sharedCopies.size >= SHARED_COPIES) sharedCopies.clear();
    copy = detached(value);
    // Keyed by the copy, so the map holds no slice of a parser's input.
    sharedCopies.set(copy, copy);
  }
  return copy;
}

function readId(doc: ResourceDocument): string | undefined {
  const id = doc.id;
  if (typeof id === 'string' && id.trim() !== '') return id;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  return undefined;
}

function requireId(doc: ResourceDocument, where: string): string {
  const id = readId(doc);
  if (id === undefined) {
    const got = doc.id === undefined ? 'none' : JSON.stringify(doc.id);
    throw new RecordError(
      `${where}: a resource needs an \`id\` (a string or a number), got ${got}`,
      {
        field: 'id',
      },
    );
  }
  return id;
}

/** Path segments of a uri, without query, fragment or empty segments. */
function pathSegments(uri: string): string[] {
  const path = new URL(uri, 'http://base.invalid').pathname;
  return path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
}

function halLinks(doc: ResourceDocument): ResourceLink[] {
  const links = doc._links;
  if (!isJsonObject(links)) return [];
  const found: ResourceLink[] = [];
  for (const [rel, value] of Object.entries(links)) {
    for (const link of Array.isArray(value) ? value : [value]) {
      if (isJsonObject(link) && typeof link.href === 'string' && link.templated !== true) {
        found.push({ rel, href: link.href });
      }
    }
  }
  return found;
}

function listOf(value: JsonValue | undefined): JsonValue[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? [...(value as JsonValue[])] : [value];
}

/** HAL: the uri is `_links.self.href`; the type is the path segment before the id's. */
const hal: SchemaShape = {
  name: 'hal',
  isResource: (doc) => readId(doc) !== undefined,
  identify(doc, where) {
    const id = requireId(doc, where);
    const uri = halLinks(doc).find((link) => link.rel === 'self')?.href;
    if (uri === undefined) {
      throw new RecordError(
        `${where}: resource ${id} has no \`_links.self.href\`, so its type cannot be derived (use --simple for documents with \`type\` and \`uri\` fields)`,
        { field: '_links.self.href' },
      );
    }
    const segments = pathSegments(uri);
    const type = segments.at(-2);
    if (type === undefined) {
      throw new RecordError(
        `${where}: resource ${id} has the self link ${JSON.stringify(uri)}, which has no collection segment to name its type (expected like /users/${id})`,
        { field: '_links.self.href' },
      );
    }
    return { id, type, uri };
  },
  links: halLinks,
  embedded(doc) {
    const items = listOf(doc.items);
    const embedded = doc._embedded;
    if (isJsonObject(embedded)) {
      for (const value of Object.values(embedded)) items.push(...listOf(value));
    }
    return items;
  },
  mapHrefs(doc, rewrite) {
    const links = doc._links;
    if (!isJsonObject(links)) return doc;
    const mapLink = (link: JsonValue): JsonValue =>
      isJsonObject(link) && typeof link.href === 'string' && link.templated !== true
        ? { ...link, href: rewrite(link.href) }
        : link;
    const mapped: Record<string, JsonValue> = {};
    for (const [rel, value] of Object.entries(links)) {
      mapped[rel] = Array.isArray(value) ? (value as JsonValue[]).map(mapLink) : mapLink(value);
    }
    return { ...doc, _links: mapped };
  },
};

/** Simple: `id`, `type` and an optional `uri` field; links as `links: [{rel, href}]`. */
const simple: SchemaShape = {
  name: 'simple',
  isResource: (doc) => readId(doc) !== undefined,
  identify(doc, where) {
    const id = requireId(doc, where);
    const type = doc.type;
    if (typeof type !== 'string' || type.trim() === '') {
      throw new RecordError(`${where}: resource ${id} needs a \`type\` string (simple schema)`, {
        field: 'type',
      });
    }
    if (doc.uri !== undefined && typeof doc.uri !== 'string') {
      throw new RecordError(`${where}: resource ${type}/${id} has a \`uri\` that is not a string`, {
        field: 'uri',
      });
    }
    return { id, type, uri: doc.uri };
  },
  links(doc) {
    return listOf(doc.links).flatMap((link) =>
      isJsonObject(link) && typeof link.rel === 'string' && typeof link.href === 'string'
        ? [{ rel: link.rel, href: link.href }]
        : [],
    );
  },
  embedded: (doc) => [...listOf(doc.items), ...listOf(doc.embedded)],
  mapHrefs(doc, rewrite) {
    const mapped: Record<string, JsonValue> = { ...doc };
    if (typeof doc.uri === 'string') mapped.uri = rewrite(doc.uri);
    if (Array.isArray(doc.links)) {
      mapped.links = (doc.links as JsonValue[]).map((link) =>
        isJsonObject(link) && typeof link.href === 'string'
          ? { ...link, href: rewrite(link.href) }
          : link,
      );
    }
    return mapped;
  },
};
