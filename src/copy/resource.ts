import { createHash } from 'node:crypto';
import type { JsonValue } from '../model/index.js';

export type ResourceDocument = { readonly [key: string]: JsonValue };

/** What identifies a resource and orders its write: everything but its body. */
export interface ResourceHead {
  /** `type/id`: the identity a destination compares, dedupes and deletes by. */
  readonly key: string;
  readonly type: string;
  readonly id: string;
  /**
   * Where the resource lives. Host-relative (`/api/users/1`) when it pointed at the endpoint
   * it was read from, so a snapshot of one environment replays into another.
   */
  readonly uri: string | undefined;
  /** Hrefs of the resources this one refers to; a destination that checks them needs them first. */
  readonly dependsOn: readonly string[];
  /** Fingerprint of the canonical text: equal hashes, equal content. */
  readonly hash: string;
  /** Where it was read, for error messages: a file and line, or a URL and item. */
  readonly where: string;
}

/** One REST resource on its way from an origin to a destination. */
export interface CopyResource extends ResourceHead {
  /** The whole document in canonical JSON (sorted keys): compact, and comparable as text. */
  readonly text: string;
}

/**
 * A resource held between reading and writing. Its body waits on disk, so a copy of many
 * resources holds only their heads; it is read back when the resource is written.
 */
export interface StagedResource extends ResourceHead {
  /** The canonical text, exactly as it was read and checked. */
  readText(): string;
}

export function resourceKey(type: string, id: string): string {
  return `${type}/${id}`;
}

/** A short fingerprint of canonical text, so destinations can remember content cheaply. */
export function contentHash(text: string): string {
  // 18 bytes are 24 base64 characters: a flat string, not a slice of a longer one.
  return createHash('sha256').update(text).digest().subarray(0, 18).toString('base64url');
}

const DIGITS = /^\d+$/;

/** Orders by type, then id; numeric ids in number order, so `users/2` comes before `users/10`. */
export function compareResources(
  a: { readonly type: string; readonly id: string },
  b: { readonly type: string; readonly id: string },
): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  if (DIGITS.test(a.id) && DIGITS.test(b.id) && a.id.length !== b.id.length) {
    return a.id.length - b.id.length;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function isJsonObject(value: unknown): value is ResourceDocument {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
