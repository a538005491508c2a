/**
 * SharedTrackers in one process, answered by the store conformance suite's reference model, to test
 * detectors that pool their state between instances without a Redis.
 */
import { createMemoryStore } from '../../src/stores/memory/memory-store.ts';
import { TrackersReference } from '../../src/stores/trackers-conformance.ts';
import type { HotStore, SharedTrackers } from '../../src/stores/types.ts';

export interface InProcessTrackers extends SharedTrackers {
  /** Round trips asked for. */
  calls: number;
  /** While true, every call rejects as a store outage would. */
  failing: boolean;
}

/** @example const shared = inProcessTrackers(); createEngine({ policy, store: memoryStoreSharing(shared) }); */
export function inProcessTrackers(): InProcessTrackers {
  const model = new TrackersReference();
  const shared: InProcessTrackers = {
    calls: 0,
    failing: false,
    append: (appends) => answer(() => appends.map((a) => model.append(a.key, a.entries, a.capacity, a.writer))),
    add: (adds) => answer(() => adds.map((a) => model.add(a.key, a.amount))),
  };
  function answer<T>(apply: () => T): Promise<T> {
    shared.calls++;
    return shared.failing ? Promise.reject(new Error('store down')) : Promise.resolve(apply());
  }
  return shared;
}

/** A memory store for one instance whose detectors pool through `shared`, as if it were Redis. */
export function memoryStoreSharing(shared: SharedTrackers): HotStore {
  return Object.assign(createMemoryStore({ maxKeys: 1_000 }), { trackers: shared });
}
