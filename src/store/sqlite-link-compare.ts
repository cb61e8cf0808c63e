import type Database from 'better-sqlite3';
import { describeError, quoteJsonString } from '../model/index.js';
import {
  type LinkQueryRow,
  type LinkQueryWorker,
  startLinkQueryWorker,
} from './sqlite-link-query-worker.js';
import type { Link } from './types.js';

/**
 * One row for a page: how many of its keys have a link, and (as JSON) the links whose hash is
 * not the one given. `json_each` is the outer loop (CROSS JOIN), so each key is one primary-key
 * search; an unchanged page makes no row objects at all.
 */
export const COMPARE_LINKS_SQL = `SELECT count(*),
    json_group_array(json_array(l.key, l.dest_id, l.hash, l.source_updated_ms))
      FILTER (WHERE l.hash IS NOT j.value)
  FROM json_each(?) AS j CROSS JOIN links AS l
  WHERE l.pipeline = ? AND l.key = j.key`;

type LinkTuple = [string, string, string, number | null];

export interface LinkComparerOptions {
  /** The store's database file, for the worker's connection; null (`:memory:`) has none. */
  readonly path: string | null;
  /**
   * Keys compared on the store's own connection before the query moves to a worker thread:
   * a short run does not pay the worker's start (Infinity: never).
   */
  readonly workerAfterKeys: number;
}

export interface LinkComparer {
  compare(
    pipeline: string,
    hashes: ReadonlyMap<string, string | null>,
  ): Promise<Map<string, Link | null>>;
  close(): Promise<void>;
}

/**
 * Store.getChangedLinks on SQLite. A page whose keys are all linked or all new is answered by
 * the one aggregate row; a page mixing both reads its links, as getLinks does. Past
 * `workerAfterKeys`, the aggregate query runs on a worker thread; if the worker fails, the
 * query runs here again.
 */
export function sqliteLinkComparer(
  db: Database.Database,
  getLinks: (pipeline: string, keys: readonly string[]) => Map<string, Link>,
  options: LinkComparerOptions,
): LinkComparer {
  const local = db.prepare(COMPARE_LINKS_SQL).raw(true);
  const queryHere = (hashes: ReadonlyMap<string, string | null>, pipeline: string) =>
    local.get(hashesJson(hashes), pipeline) as LinkQueryRow;
  let worker: LinkQueryWorker | null = null;
  let keysCompared = 0;

  const query = async (
    hashes: ReadonlyMap<string, string | null>,
    pipeline: string,
  ): Promise<LinkQueryRow> => {
    keysCompared += hashes.size;
    if (worker === null && options.path !== null && keysCompared > options.workerAfterKeys) {
      worker = startLinkQueryWorker({
        path: options.path,
        sql: COMPARE_LINKS_SQL,
        onFailure: (error) =>
          process.emitWarning(
            `The SQLite store's link query worker failed; links are compared on the main thread (${describeError(error)})`,
            'KeepsyncWarning',
          ),
      });
    }
    if (worker === null || worker.failed) return queryHere(hashes, pipeline);
    try {
      return await worker.query(hashes, pipeline);
    } catch {
      // Nothing was written since the page was sent, so asking here gives the same answer.
      return queryHere(hashes, pipeline);
    }
  };

  return {
    async compare(pipeline, hashes) {
      const answer = new Map<string, Link | null>();
      if (hashes.size === 0) return answer;
      const [linked, changed] = await query(hashes, pipeline);
      if (linked === 0) {
        for (const key of hashes.keys()) answer.set(key, null);
        return answer;
      }
      if (linked === hashes.size) {
        for (const [key, destId, hash, sourceUpdatedMs] of JSON.parse(changed) as LinkTuple[]) {
          answer.set(key, { key, destId, hash, sourceUpdatedMs });
        }
        return answer;
      }
      const links = getLinks(pipeline, [...hashes.keys()]);
      for (const [key, hash] of hashes) {
        const link = links.get(key);
        if (link === undefined) answer.set(key, null);
        else if (hash === null || link.hash !== hash) answer.set(key, link);
      }
      return answer;
    },
    async close() {
      await worker?.close();
    },
  };
}

/**
 * The page's hashes as one JSON object, written by hand: a 1,000-key object from
 * Object.fromEntries is a dictionary object, and stringifying it cost more than the query.
 * Keys and hashes rarely need escaping, so each is tested rather than stringified.
 */
function hashesJson(hashes: ReadonlyMap<string, string | null>): string {
  let json = '';
  for (const [key, hash] of hashes) {
    json += `${json === '' ? '{' : ','}${quoteJsonString(key)}:${hash === null ? 'null' : quoteJsonString(hash)}`;
  }
  return `${json}}`;
}
