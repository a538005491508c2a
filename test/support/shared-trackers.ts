/**
 * SharedTrackers in one process, the way the store contract states them (src/stores/types.ts), to
 * test detectors that pool their state between instances without a Redis. The Redis store's own
 * implementation is held to the same contract by the store conformance suite.
 */
import type { CounterAdd, LogAppend, SharedTrackers } from '../../src/stores/types.ts';

export interface InProcessTrackers extends SharedTrackers {
  /** Round trips asked for. */
  calls: number;
  /** While true, every call rejects as a store outage would. */
  failing: boolean;
}

/** @example const shared = inProcessTrackers(); createEngine({ policy, store: Object.assign(createMemoryStore({ maxKeys: 1000 }), { trackers: shared }) }); */
export function inProcessTrackers(): InProcessTrackers {
  const logs = new Map<string, string[]>();
  const writers = new Map<string, string | undefined>();
  const counters = new Map<string, number>();
  const shared: InProcessTrackers = {
    calls: 0,
    failing: false,
    append(appends: readonly LogAppend[]) {
      return answer(() =>
        appends.map((a) => {
          if (a.entries.length === 0) return logs.get(a.key) ?? [];
          const log = [...(logs.get(a.key) ?? []), ...a.entries].slice(-a.capacity);
          logs.set(a.key, log);
          const last = writers.get(a.key);
          writers.set(a.key, a.writer);
          return a.writer !== undefined && last === a.writer ? null : log;
        }),
      );
    },
    add(adds: readonly CounterAdd[]) {
      return answer(() =>
        adds.map((a) => {
          const total = (counters.get(a.key) ?? 0) + a.amount;
          if (total !== 0 || counters.has(a.key)) counters.set(a.key, total);
          return total;
        }),
      );
    },
  };
  function answer<T>(apply: () => T): Promise<T> {
    shared.calls++;
    return shared.failing ? Promise.reject(new Error('store down')) : Promise.resolve(apply());
  }
  return shared;
}
