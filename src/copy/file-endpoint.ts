import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type FileFormat, writeFileAtomic } from '../connectors/files/index.js';
import { KeepsyncError, RecordError } from '../model/index.js';
import { expandDocument, readDocuments } from './documents.js';
import type { CopyEndpoint, CopyReadContext } from './endpoint.js';
import { type CopyResource, compareResources } from './resource.js';
import { manyResourcesText } from './serialize.js';

/**
 * One YAML file (a stream of `---` documents) or JSON file (an array) holding many resources,
 * sorted by type and id. Written whole, atomically, and only when its content changes;
 * resources already in the file stay unless `--rm` removes them.
 */
export function fileEndpoint(path: string, format: FileFormat): CopyEndpoint {
  const read = async function* (context: CopyReadContext): AsyncGenerator<CopyResource> {
    for await (const located of readDocuments(createReadStream(path), path, format)) {
      yield* expandDocument(located, context.schema, { strict: true });
    }
  };
  return {
    label: path,
    ordered: false,
    async *read(context) {
      if (!(await exists(path))) {
        throw new KeepsyncError('NOT_FOUND', `The origin file ${path} does not exist`);
      }
      yield* read(context);
    },
    async open(context) {
      const held = new Map<string, CopyResource>();
      if (await exists(path)) {
        for await (const resource of read(context)) {
          if (held.has(resource.key)) {
            throw new RecordError(
              `${path} holds ${resource.key} twice (${held.get(resource.key)!.where} and ${resource.where}); remove one`,
              { key: resource.key },
            );
          }
          held.set(resource.key, resource);
        }
      }
      const existing = new Map([...held].map(([key, resource]) => [key, resource.hash]));
      return {
        existing,
        fingerprint: (resource) => resource.hash,
        async apply(plan, context) {
          for (const key of plan.deletes) held.delete(key);
          for (const layer of plan.layers) {
            // The file is written whole, so every body it holds is read back here.
            for (const { resource } of layer) {
              held.set(resource.key, { ...resource, text: resource.readText() });
            }
          }
          const text = manyResourcesText(
            [...held.values()].sort(compareResources).map((resource) => resource.text),
            format,
          );
          const current = await readFile(path, 'utf8').catch(() => null);
          if (current !== text) {
            await mkdir(dirname(path), { recursive: true });
            await writeFileAtomic(path, text);
          }
          const count =
            plan.deletes.length + plan.layers.reduce((sum, layer) => sum + layer.length, 0);
          for (let index = 0; index < count; index++) context.onProgress();
          return [];
        },
      };
    },
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new KeepsyncError('CONFIG_INVALID', `${path} is not a file`);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
