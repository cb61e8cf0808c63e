import { isKeepsyncError } from '../model/index.js';
import { type HeldLeaseFence, STORE_HANDLE, storeHandle } from './handle.js';
import type { PageCommit, Store } from './types.js';

/**
 * The store as a leased run sees it: the same object, but every page commit carries the
 * lease token, so it proves the lease in its own transaction, and the store's handle carries
 * the lease, so features with tables of their own (two-way tasks) prove it too. `onLost`
 * hears of each LEASE_LOST before the error goes on to the run.
 */
export function leasedStore(store: Store, fence: HeldLeaseFence): Store {
  const handle = { ...storeHandle(store), lease: fence };
  const commitPage = async (commit: PageCommit) => {
    try {
      await store.commitPage({ ...commit, lease: fence.token });
    } catch (error) {
      if (isKeepsyncError(error) && error.code === 'LEASE_LOST') fence.onLost(error);
      throw error;
    }
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'commitPage') return commitPage;
      if (property === STORE_HANDLE) return handle;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
