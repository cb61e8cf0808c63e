import { isAbsolute, relative, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { FileFormat } from '../connectors/files/index.js';
import { KeepsyncError } from '../model/index.js';
import type {
  CopyChange,
  CopyFailure,
  CopyOrigin,
  CopyPlan,
  CopyReadContext,
  CopyTarget,
} from './endpoint.js';
import type { HttpEndpointOptions } from './http-endpoint.js';
import { parseEndpoint } from './parse-endpoint.js';
import { compareResources, type StagedResource } from './resource.js';
import { type ResourceSchemaName, resourceSchema } from './schema.js';
import { StagingFile } from './staging.js';
import { orderByDependencies } from './toposort.js';

export interface CopyOptions {
  /** Endpoint arguments (`-`, a URL, a file, a directory) or endpoint objects. */
  origins: ReadonlyArray<string | CopyOrigin>;
  destination: string | CopyTarget;
  /** How id, type and uri are found in a document. @default 'hal' */
  schema?: ResourceSchemaName | undefined;
  /** Relations (names or `prefix*`) that are never write-order dependencies, e.g. back-links. */
  notDependencies?: readonly string[] | undefined;
  /** The host a snapshot was taken from: its absolute hrefs become host-relative. */
  snapshotOrigin?: string | undefined;
  /** Format of a directory or stdout destination. @default 'yaml' */
  format?: FileFormat | undefined;
  /** Options of every HTTP endpoint: headers, follow, maxDepth, concurrency, batchSize, retry. */
  http?: HttpEndpointOptions | undefined;
  /** Remove destination resources that no origin has (files removed, HTTP DELETE). @default false */
  remove?: boolean | undefined;
  /** Work out the plan, write nothing. @default false */
  dryRun?: boolean | undefined;
  stdin?: Readable | undefined;
  stdout?: Writable | undefined;
  signal?: AbortSignal | undefined;
  /** Told as resources are read and written. */
  onProgress?: ((progress: CopyProgress) => void) | undefined;
  /** Told about problems that do not stop the copy (a broken link, a duplicate). */
  onWarning?: ((message: string) => void) | undefined;
}

export interface CopyProgress {
  readonly phase: 'read' | 'write';
  readonly done: number;
  /** Known while writing. */
  readonly total?: number | undefined;
}

export interface CopySummary {
  readonly read: number;
  /** Keys, in the order they were (or would be) written. */
  readonly creates: readonly string[];
  readonly updates: readonly string[];
  readonly unchanged: number;
  readonly deletes: readonly string[];
  /** Resources that could not be written or removed; the copy did the rest. */
  readonly failed: readonly CopyFailure[];
  readonly dryRun: boolean;
}

/**
 * Copies resources from the origins to the destination. Every origin is read and checked
 * before anything is written, so bad input stops the copy with nothing written; then only
 * what changed is written, in dependency order where the destination needs it.
 */
export async function copyResources(options: CopyOptions): Promise<CopySummary> {
  const endpointOptions = {
    format: options.format,
    http: { ...options.http, signal: options.signal ?? options.http?.signal },
    stdin: options.stdin,
    stdout: options.stdout,
  };
  const origins = options.origins.map((origin) =>
    typeof origin === 'string'
      ? parseEndpoint(origin, { ...endpointOptions, format: undefined })
      : origin,
  );
  const target =
    typeof options.destination === 'string'
      ? parseEndpoint(options.destination, endpointOptions)
      : options.destination;
  if (origins.length === 0) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      'Expected at least one origin before the destination',
    );
  }
  checkEndpoints(origins, target, options.remove ?? false);

  const context: CopyReadContext = {
    schema: resourceSchema(options.schema ?? 'hal', {
      notDependencies: options.notDependencies,
      snapshotOrigin: options.snapshotOrigin,
    }),
    signal: options.signal,
    warn: options.onWarning ?? (() => {}),
  };
  const staging = new StagingFile();
  try {
    return await copyStaged(options, origins, target, context, staging);
  } finally {
    staging.close();
  }
}

async function copyStaged(
  options: CopyOptions,
  origins: readonly CopyOrigin[],
  target: CopyTarget,
  context: CopyReadContext,
  staging: StagingFile,
): Promise<CopySummary> {
  // Origins first: bad input is reported before the destination is even looked at.
  const staged = await readAll(origins, context, staging, options.onProgress);
  const session = await target.open(context);

  const creates: CopyChange[] = [];
  const updates: CopyChange[] = [];
  let unchanged = 0;
  for (const resource of staged.values()) {
    const before = session.existing.get(resource.key);
    if (before === undefined) creates.push({ kind: 'create', resource });
    else if (before === session.fingerprint(resource)) unchanged++;
    else updates.push({ kind: 'update', resource });
  }
  const deletes = options.remove
    ? [...session.existing.keys()].filter((key) => !staged.has(key)).sort()
    : [];
  const changes = [...creates, ...updates];
  const layers = target.ordered
    ? orderByDependencies(changes, target.label)
    : [changes.sort((a, b) => compareResources(a.resource, b.resource))];
  const plan: CopyPlan = { layers, deletes };
  const order = layers.flat();
  const summary = {
    read: staged.size,
    creates: order
      .filter((change) => change.kind === 'create')
      .map((change) => change.resource.key),
    updates: order
      .filter((change) => change.kind === 'update')
      .map((change) => change.resource.key),
    unchanged,
    deletes,
    dryRun: options.dryRun ?? false,
  };
  staged.clear();
  if (options.dryRun || (changes.length === 0 && deletes.length === 0)) {
    return { ...summary, failed: [] };
  }

  let written = 0;
  const total = changes.length + deletes.length;
  const failed = await session.apply(plan, {
    ...context,
    onProgress: () => options.onProgress?.({ phase: 'write', done: ++written, total }),
  });
  return { ...summary, failed };
}

/**
 * Every resource of every origin, by key, its body staged on disk. The same key twice with
 * different content keeps the later one, with a warning.
 */
async function readAll(
  origins: readonly CopyOrigin[],
  context: CopyReadContext,
  staging: StagingFile,
  onProgress: CopyOptions['onProgress'],
): Promise<Map<string, StagedResource>> {
  const staged = new Map<string, StagedResource>();
  for (const origin of origins) {
    for await (const resource of origin.read(context)) {
      const earlier = staged.get(resource.key);
      if (earlier !== undefined && earlier.hash !== resource.hash) {
        context.warn(
          `${resource.key} was read twice with different content (${earlier.where} and ${resource.where}); the later one is copied`,
        );
      }
      staged.set(resource.key, staging.stage(resource));
      onProgress?.({ phase: 'read', done: staged.size });
    }
  }
  return staged;
}

/** Refuses copies that would read what they write. */
function checkEndpoints(origins: readonly CopyOrigin[], target: CopyTarget, remove: boolean): void {
  for (const origin of origins) {
    if (origin.label === '-' && target.label === '-') continue;
    if (sameOrInside(origin.label, target.label, remove)) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        origin.label === target.label
          ? `The origin and the destination are the same: ${origin.label}`
          : `The origin ${origin.label} lies inside the destination ${target.label}; --rm would remove it`,
      );
    }
  }
}

function sameOrInside(origin: string, target: string, remove: boolean): boolean {
  if (origin === target) return true;
  if (/^https?:\/\//i.test(origin) || /^https?:\/\//i.test(target)) return false;
  const path = relative(resolve(target), resolve(origin));
  if (path === '') return true;
  return remove && !path.startsWith('..') && !isAbsolute(path);
}
