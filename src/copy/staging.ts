import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CopyResource, ResourceHead, StagedResource } from './resource.js';

/** Bodies gathered before one write to the file: few system calls, little held. */
const FLUSH_BYTES = 1 << 20;

/**
 * Holds the bodies of the resources a copy has read, in a temporary file, until they are
 * written. A copy reads and checks every origin before it writes anything; with the bodies
 * on disk, what it holds in memory is the heads alone (keys, hashes, links). A body is read
 * back exactly as it was checked, whatever happens to the origin meanwhile.
 */
export class StagingFile {
  readonly #dir: string;
  readonly #fd: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes staged so far, flushed or not: the offset of the next body. */
  #size = 0;
  #flushed = 0;
  #closed = false;

  constructor(parent: string = tmpdir()) {
    this.#dir = mkdtempSync(join(parent, 'keepsync-staging-'));
    this.#fd = openSync(join(this.#dir, 'bodies'), 'w+', 0o600);
  }

  /** The resource without its text in memory; the text is appended to the file. */
  stage(resource: CopyResource): StagedResource {
    const { text, ...head } = resource;
    // Where it was read waits on disk too: it is only needed to tell of a duplicate.
    const body = Buffer.from(text, 'utf8');
    const where = Buffer.from(head.where, 'utf8');
    const offset = this.#size;
    this.#pending.push(body, where);
    this.#pendingBytes += body.length + where.length;
    this.#size += body.length + where.length;
    if (this.#pendingBytes >= FLUSH_BYTES) this.#flush();
    return new SpilledResource(head, this, offset, body.length, where.length);
  }

  read(offset: number, length: number): string {
    if (this.#closed) throw new Error('The staged bodies of this copy were already removed');
    if (offset + length > this.#flushed) this.#flush();
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const got = readSync(this.#fd, buffer, done, length - done, offset + done);
      if (got === 0) throw new Error(`The staged body at ${offset} ends early`);
      done += got;
    }
    return buffer.toString('utf8');
  }

  /** Removes the file; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #flush(): void {
    if (this.#pendingBytes === 0) return;
    const chunk = Buffer.concat(this.#pending, this.#pendingBytes);
    let done = 0;
    while (done < chunk.length) {
      done += writeSync(this.#fd, chunk, done, chunk.length - done, this.#flushed + done);
    }
    this.#flushed += chunk.length;
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}

/** A head whose body lies in a staging file: a few numbers instead of the text. */
class SpilledResource implements StagedResource {
  readonly key: string;
  readonly type: string;
  readonly id: string;
  readonly uri: string | undefined;
  readonly dependsOn: readonly string[];
  readonly hash: string;
  readonly #file: StagingFile;
  readonly #offset: number;
  readonly #length: number;
  readonly #whereLength: number;

  constructor(
    head: ResourceHead,
    file: StagingFile,
    offset: number,
    length: number,
    whereLength: number,
  ) {
    this.key = head.key;
    this.type = head.type;
    this.id = head.id;
    this.uri = head.uri;
    this.dependsOn = head.dependsOn;
    this.hash = head.hash;
    this.#file = file;
    this.#offset = offset;
    this.#length = length;
    this.#whereLength = whereLength;
  }

  get where(): string {
    return this.#file.read(this.#offset + this.#length, this.#whereLength);
  }

  readText(): string {
    return this.#file.read(this.#offset, this.#length);
  }
}
