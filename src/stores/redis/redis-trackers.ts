/**
 * The Redis store's shared trackers ({@link SharedTrackers}): logs and counters that detectors share
 * between instances, in the store's Redis but in a key space of their own (see redis-store.ts).
 * Items are checked here, before anything is sent, so a bad item never costs a round trip; then each
 * call is one script (trackers-script.ts), or on a cluster one script per hash slot, sent together.
 */
import { ErrorCode, RampartError } from '../../errors.ts';
import type { CounterAdd, LogAppend, SharedTrackers } from '../types.ts';
import { keySlot } from './key-slot.ts';
import type { LuaScript } from './lua-script.ts';
import { ADD_SCRIPT, APPEND_SCRIPT } from './trackers-script.ts';

export interface RedisTrackersOptions {
  /** The store's key prefix (no `{` or `}`). */
  readonly prefix: string;
  /** True for Redis Cluster: one script per hash slot. */
  readonly cluster: boolean;
  /** Sends one script and resolves with its reply. */
  run(script: LuaScript, args: (string | number)[], numKeys: number): Promise<unknown>;
  /** Makes `send` one round trip of the store: breaker, counters, and a store error on failure. */
  roundTrip<T>(send: () => Promise<T>): Promise<T>;
}

const MAX_KEY = 128;
const MAX_ENTRY = 256;
const MAX_WRITER = 64;
const MAX_CAPACITY = 1_024;
const MIN_TTL_MS = 1_000;

function invalid(where: string, message: string): RampartError {
  return new RampartError(ErrorCode.INVALID_ARGUMENT, `redis store: ${where} ${message}`);
}

function checkKey(key: unknown, where: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY) throw invalid(`${where}.key`, `must be a string of 1–${MAX_KEY} characters`);
  // The key is the hash tag: a brace in it would move the key to another slot than the tag says.
  if (/[{}]/.test(key)) throw invalid(`${where}.key`, `${JSON.stringify(key)} must not contain { or } (they change the hash slot)`);
}

function checkTtl(ttlMs: unknown, where: string): void {
  if (!Number.isSafeInteger(ttlMs) || (ttlMs as number) < MIN_TTL_MS) throw invalid(`${where}.ttlMs`, `must be an integer of at least ${MIN_TTL_MS} ms`);
}

function checkAppend(a: LogAppend, i: number): void {
  const where = `appends[${i}]`;
  checkKey(a.key, where);
  checkTtl(a.ttlMs, where);
  if (!Number.isInteger(a.capacity) || a.capacity < 1 || a.capacity > MAX_CAPACITY) throw invalid(`${where}.capacity`, `must be an integer from 1 to ${MAX_CAPACITY}`);
  if (!Array.isArray(a.entries)) throw invalid(`${where}.entries`, 'must be an array of strings');
  if (a.writer !== undefined && (typeof a.writer !== 'string' || a.writer.length > MAX_WRITER)) throw invalid(`${where}.writer`, `must be a string of at most ${MAX_WRITER} characters`);
  for (const entry of a.entries) {
    if (typeof entry !== 'string' || entry.length > MAX_ENTRY) throw invalid(`${where}.entries`, `must hold strings of at most ${MAX_ENTRY} characters`);
  }
}

function checkAdd(a: CounterAdd, i: number): void {
  const where = `adds[${i}]`;
  checkKey(a.key, where);
  checkTtl(a.ttlMs, where);
  if (!Number.isSafeInteger(a.amount)) throw invalid(`${where}.amount`, 'must be a safe integer');
}

/** Item indices per script: all in one on a single server, one group per hash slot on a cluster. */
function groupBySlot(keys: readonly string[], cluster: boolean): number[][] {
  if (!cluster) return [keys.map((_, i) => i)];
  const bySlot = new Map<number, number[]>();
  keys.forEach((key, i) => {
    const slot = keySlot(key);
    const group = bySlot.get(slot);
    if (group === undefined) bySlot.set(slot, [i]);
    else group.push(i);
  });
  return [...bySlot.values()];
}

/** What tells logs from counters: their keys, their script, and how an item is checked and sent. */
interface TrackerKind<I extends { readonly key: string }> {
  /** The key before the tracker's key: `<prefix>t#{` or `<prefix>c#{`. */
  readonly head: string;
  readonly script: LuaScript;
  /** Each item's second key, its own key plus this (the log's writer key), after all first keys. */
  readonly companion?: string;
  check(item: I, index: number): void;
  /** Appends the item's ARGV (see trackers-script.ts). */
  encode(item: I, argv: (string | number)[]): void;
}

/**
 * @example
 * const trackers = createRedisTrackers({ prefix: 'rampart:', cluster: false, run, roundTrip });
 * const [log] = await trackers.append([{ key: 'b:203.0.113.7', entries: ['GET /'], capacity: 50, ttlMs: 600_000 }]);
 */
export function createRedisTrackers(o: RedisTrackersOptions): SharedTrackers {
  const logs: TrackerKind<LogAppend> = {
    head: `${o.prefix}t#{`,
    script: APPEND_SCRIPT,
    companion: 'w',
    check: checkAppend,
    encode(a, argv) {
      // Entries past the capacity would be trimmed at once: only the newest are sent.
      const entries = a.entries.length > a.capacity ? a.entries.slice(-a.capacity) : a.entries;
      argv.push(a.capacity, a.ttlMs, a.writer ?? '', entries.length, ...entries);
    },
  };
  const counters: TrackerKind<CounterAdd> = {
    head: `${o.prefix}c#{`,
    script: ADD_SCRIPT,
    check: checkAdd,
    encode: (a, argv) => void argv.push(a.amount, a.ttlMs),
  };

  /** Checks every item, then applies them all in one round trip and answers in item order. Never throws: a bad item or a failure rejects. */
  function call<I extends { readonly key: string }, R>(kind: TrackerKind<I>, items: readonly I[]): Promise<R[]> {
    try {
      items.forEach(kind.check);
    } catch (err) {
      return Promise.reject(err);
    }
    if (items.length === 0) return Promise.resolve([]);
    const keys = items.map((item) => `${kind.head}${item.key}}`);
    const groups = groupBySlot(keys, o.cluster);
    return o.roundTrip(async () => {
      const replies = await Promise.all(
        groups.map((group) => {
          const args: (string | number)[] = group.map((i) => keys[i]!);
          if (kind.companion !== undefined) for (const i of group) args.push(`${keys[i]!}${kind.companion}`);
          const numKeys = args.length;
          for (const i of group) kind.encode(items[i]!, args);
          return o.run(kind.script, args, numKeys) as Promise<R[]>;
        }),
      );
      const out = new Array<R>(items.length);
      groups.forEach((group, g) => group.forEach((i, k) => (out[i] = replies[g]![k]!)));
      return out;
    });
  }

  return {
    append: (appends) => call<LogAppend, string[] | null>(logs, appends),
    add: (adds) => call<CounterAdd, string>(counters, adds).then((totals) => totals.map(Number)),
  };
}
