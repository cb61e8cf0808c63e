import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { onTestFinished } from 'vitest';
import { stringify } from 'yaml';
import { type CopyOrigin, parseEndpoint, resourceSchema } from '../../src/copy/index.js';

export type Doc = Record<string, unknown> & {
  _links: { self: { href: string } } & Record<string, { href: string }>;
};

/** Three users and three posts; each post links to its author, so posts go after users. */
export function fixture(): Doc[] {
  const users = [1, 2, 3].map((id) => ({
    id,
    name: `User ${id}`,
    tags: ['a', 'b'],
    _links: { self: { href: `/api/users/${id}` } },
  }));
  const posts = [1, 2, 3].map((id) => ({
    id,
    title: `Post ${id}`,
    body: 'Line one\nLine two',
    _links: {
      self: { href: `/api/posts/${id}` },
      author: { href: `/api/users/${((id + 1) % 3) + 1}` },
    },
  }));
  return [...posts, ...users];
}

/** A fresh folder, removed when the test that asked for it finishes. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keepsync-copy-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Resources an endpoint holds, keyed `type/id`, as plain documents. */
export async function collect(origin: CopyOrigin | string): Promise<Map<string, unknown>> {
  const endpoint = typeof origin === 'string' ? parseEndpoint(origin) : origin;
  const found = new Map<string, unknown>();
  for await (const resource of endpoint.read({ schema: resourceSchema('hal'), warn: () => {} })) {
    found.set(resource.key, JSON.parse(resource.text));
  }
  return found;
}

export function byKey(docs: readonly Doc[]): Map<string, unknown> {
  return new Map(
    docs.map((doc) => {
      const [, , type, id] = doc._links.self.href.split('/');
      return [`${type}/${id}`, JSON.parse(JSON.stringify(doc))];
    }),
  );
}

export function sortedMap<V>(map: Map<string, V>): Array<[string, V]> {
  return [...map].sort(([a], [b]) => (a < b ? -1 : 1));
}

export function writeDirectory(dir: string, docs: readonly Doc[]): void {
  for (const doc of docs) {
    const [, , type, id] = doc._links.self.href.split('/');
    mkdirSync(join(dir, type!), { recursive: true });
    writeFileSync(join(dir, type!, `${id}.yaml`), stringify(doc));
  }
}

export function yamlStream(docs: readonly Doc[]): string {
  return docs.map((doc) => `---\n${stringify(doc)}`).join('');
}

export function stdinOf(text: string): Readable {
  return Readable.from([text]);
}

export function captureStdout(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Every file under `dir` with its bytes and modification time. */
export function snapshot(dir: string): Map<string, { text: string; mtimeMs: number }> {
  const files = new Map<string, { text: string; mtimeMs: number }>();
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        files.set(relative(dir, full), {
          text: readFileSync(full, 'utf8'),
          mtimeMs: statSync(full).mtimeMs,
        });
      }
    }
  };
  walk(dir);
  return files;
}
