/**
 * Keys known to sit in a penalty box, answered without a Redis call until their box ends, so a
 * flood from a banned client costs no round trips. Only penalty boxes are cached: nothing but a
 * reset ends one early, so a cached answer is the answer Redis would give. (A plain refusal can end
 * early: a refund on another instance may free the units.)
 *
 * Bounded: at most `maxKeys` entries; when full the oldest entry goes (a Map iterates in insertion
 * order), which only costs that key a Redis call.
 */

export interface BlockCache {
  /** Local time until which `id` is blocked, or 0. Drops the entry once it has ended. */
  blockedUntil(id: string, now: number): number;
  add(id: string, until: number): void;
  delete(id: string): void;
  readonly size: number;
  clear(): void;
}

/** @example const cache = createBlockCache(10_000); cache.add('login\u0000203.0.113.7', now + 60_000); */
export function createBlockCache(maxKeys: number): BlockCache {
  const entries = new Map<string, number>();
  return {
    blockedUntil(id, now) {
      const until = entries.get(id);
      if (until === undefined) return 0;
      if (until > now) return until;
      entries.delete(id);
      return 0;
    },
    add(id, until) {
      if (maxKeys <= 0) return;
      if (entries.size >= maxKeys && !entries.has(id)) entries.delete(entries.keys().next().value as string);
      entries.set(id, until);
    },
    delete(id) {
      entries.delete(id);
    },
    get size() {
      return entries.size;
    },
    clear() {
      entries.clear();
    },
  };
}
