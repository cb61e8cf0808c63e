import type { BaseDocument, ClientDocument } from './types.js';

/** One stored server state, with what queries show of it while it has no pending edit. */
export interface Row {
  readonly base: BaseDocument;
  shown?: ClientDocument | null;
}

/** Document ids in code-unit order, as the server sorts them. */
export const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The stored documents of one collection, listed in id order.
 *
 * A full resync and most pulls send documents in id order, so the map's insertion order is
 * kept sorted by id and a listing need not sort; a key that arrives out of order marks it
 * unsorted, and the next listing re-sorts it once. Rows that arrive past the greatest id wait
 * in an array (`#tail`) until something looks one up by id: a bootstrap followed by queries
 * never hashes its 100,000 ids into the map (a tenth of its CPU).
 */
export class Shelf {
  #indexed = new Map<string, Row>();
  /** Rows whose ids are all greater than the map's, ascending; not in the map yet. */
  #tail: Row[] = [];
  #sorted = true;
  /** The greatest id while sorted. */
  #last: string | undefined;

  get(docId: string): Row | undefined {
    return this.#index().get(docId);
  }

  has(docId: string): boolean {
    return this.#index().has(docId);
  }

  delete(docId: string): boolean {
    return this.#index().delete(docId);
  }

  /** Stores a document's server state, replacing the one before. */
  put(base: BaseDocument): void {
    const { docId } = base;
    if (this.#sorted && (this.#last === undefined || docId > this.#last)) {
      this.#last = docId;
      this.#tail.push({ base });
      return;
    }
    const rows = this.#index();
    if (this.#sorted && docId !== this.#last && !rows.has(docId)) this.#sorted = false;
    rows.set(docId, { base });
  }

  /** The rows in id order. */
  *rows(): Generator<Row> {
    if (!this.#sorted) this.#sort();
    // While sorted, every id of the tail is greater than every id of the map.
    yield* this.#indexed.values();
    yield* this.#tail;
  }

  /** The map with the tail moved in, kept in id order by appending it. */
  #index(): Map<string, Row> {
    if (this.#tail.length > 0) {
      for (const row of this.#tail) this.#indexed.set(row.base.docId, row);
      this.#tail = [];
    }
    return this.#indexed;
  }

  #sort(): void {
    const rows = this.#index();
    const ids = [...rows.keys()].sort(byId);
    const sorted = new Map<string, Row>();
    for (const id of ids) sorted.set(id, rows.get(id)!);
    this.#indexed = sorted;
    this.#sorted = true;
    this.#last = ids[ids.length - 1];
  }
}
