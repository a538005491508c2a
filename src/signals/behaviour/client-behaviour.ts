/**
 * What a client's recent requests look like, per client IP: the rhythm of its requests, whether it
 * walks resource ids one by one, and how many of its answers were 403 or 404. Four signals read it:
 *
 * - `timing.regular`: the last 8 intervals between its answered requests vary by less than a quarter
 *   of their mean (coefficient of variation < 0.25) and average under a minute. People's think times
 *   vary by about their own mean; a script with a fixed or lightly jittered sleep does not.
 * - `timing.fast`: the same 8 intervals average under 250 ms: nine requests or more in two seconds,
 *   over and over. A page load sends a few calls at once, then a person reads.
 * - `ids.sequential`: its last 10 requests to one kind of path (the path with its last numeric segment
 *   taken out: `/api/users/#`) asked for ids that each differ from the one before by exactly 1.
 * - `responses.misses`: at least half of its last 32 answers (and 16 or more) were 403 or 404: ids that
 *   are not its own, or that do not exist.
 *
 * The tracker learns from answered requests (`observe`), so a refused request teaches it nothing, and
 * answers for the request in hand only from what came before it.
 *
 * Each engine keeps what it knows in memory, bounded: at most {@link MAX_CLIENTS} clients, those not
 * seen for longest dropped first, each a few dozen numbers. With a shared store (Redis), instances
 * also pool what they see: each answered request becomes an entry in the client's shared log (its
 * last {@link SHARED_ENTRIES} answers, see HotStore.trackers), sent in batches after answers, and the
 * log that comes back, every instance's entries in time order, replaces this instance's picture of
 * the client. So a client spread over instances by a load balancer is judged on all its requests,
 * one round trip late. When the store fails, each instance goes on with what it saw itself.
 */
import { randomBytes } from 'node:crypto';
import type { RequestContext } from '../../engine/request-context.ts';
import type { LogAppend, SharedTrackers } from '../../stores/types.ts';
import { SharedSync } from '../shared-sync.ts';
import type { Signal } from '../types.ts';

/** Clients tracked per engine; the least recently seen is dropped to make room. */
export const MAX_CLIENTS = 65_536;
const INTERVALS = 8;
const MAX_CV = 0.25;
const MAX_MEAN_INTERVAL_MS = 60_000;
const FAST_MEAN_INTERVAL_MS = 250;
const SEQUENTIAL_RUN = 10;
/** Kinds of path followed per client for id walks; the oldest is replaced. */
const PATH_GROUPS = 4;
const ANSWERS = 32;
const MIN_MISS_ANSWERS = 16;

/** Longest id followed: 15 digits is still an exact number. */
const MAX_ID_DIGITS = 15;
/** Characters of a path group compared (and shared): longer groups are told apart by their start. */
const MAX_GROUP = 200;

/** Answers kept per client in the shared log: enough for the misses share, the rhythm and an id walk. */
const SHARED_ENTRIES = ANSWERS;
/** A shared log is dropped this long after its client's last answer: longer than 8 intervals of a minute. */
const SHARED_TTL_MS = 10 * 60_000;
/** Entries waiting to be sent, at most; more are not shared (this instance still learns them). */
const MAX_WAITING = 8_192;
/** Clients per round trip. */
const MAX_CLIENTS_PER_FLUSH = 256;

interface IdWalk {
  group: string;
  last: number;
  run: number;
}

class ClientState {
  last = -1;
  // A plain array: allocating a typed array (and its backing store) per new client costs more than it saves.
  readonly intervals: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  filled = 0;
  next = 0;
  /** One bit per recent answer, newest lowest: 1 = 403 or 404. */
  misses = 0;
  answers = 0;
  /** Made on the first id seen: most clients of most APIs never walk one. */
  walks: IdWalk[] | null = null;

  /** One answered request: its time, whether it was a miss, and the id in its path if any. */
  record(now: number, path: string, miss: boolean): void {
    this.answer(now, miss);
    const end = idEnd(path);
    const start = idStart(path, end);
    if (start !== -1) this.follow(path, Math.min(start, MAX_GROUP), Number(path.slice(start, end)));
  }

  answer(now: number, miss: boolean): void {
    if (this.last >= 0) {
      this.intervals[this.next] = Math.max(0, now - this.last);
      this.next = (this.next + 1) % INTERVALS;
      if (this.filled < INTERVALS) this.filled++;
    }
    this.last = now;
    this.misses = ((this.misses << 1) | (miss ? 1 : 0)) >>> 0;
    if (this.answers < ANSWERS) this.answers++;
  }

  /**
   * Follows an id under the group `text.slice(0, groupLength)`. Compares in place: a new string only
   * for a new group.
   */
  follow(text: string, groupLength: number, id: number): void {
    const walks = (this.walks ??= []);
    for (const w of walks) {
      if (w.group.length === groupLength && text.startsWith(w.group)) {
        w.run = Math.abs(id - w.last) === 1 ? w.run + 1 : 1;
        w.last = id;
        return;
      }
    }
    if (walks.length === PATH_GROUPS) walks.shift();
    walks.push({ group: text.slice(0, groupLength), last: id, run: 1 });
  }

  /** The coefficient of variation of the last intervals and their mean, or null before there are enough. */
  rhythm(): { cv: number; mean: number } | null {
    if (this.filled < INTERVALS) return null;
    let sum = 0;
    for (const v of this.intervals) sum += v;
    const mean = sum / INTERVALS;
    if (mean <= 0) return { cv: 0, mean };
    let sq = 0;
    for (const v of this.intervals) sq += (v - mean) ** 2;
    return { cv: Math.sqrt(sq / INTERVALS) / mean, mean };
  }

  missShare(): number {
    let bits = this.misses;
    let count = 0;
    while (bits !== 0) {
      bits &= bits - 1;
      count++;
    }
    return count / this.answers;
  }
}

/** Where the path's last segment ends, before a trailing slash. */
function idEnd(path: string): number {
  const end = path.length;
  return end > 1 && path.charCodeAt(end - 1) === 47 ? end - 1 : end;
}

/**
 * Where the path's last segment starts when it is a decimal id (`/api/users/42`, `/api/users/42/`),
 * or -1. Its group is the path before it.
 */
function idStart(path: string, end: number): number {
  let start = end;
  while (start > 0) {
    const c = path.charCodeAt(start - 1);
    if (c < 48 || c > 57) break;
    start--;
  }
  if (start === end || end - start > MAX_ID_DIGITS || start === 0 || path.charCodeAt(start - 1) !== 47) return -1;
  return start;
}

/**
 * One answer as a shared log entry: the writer's tag, `time|miss` and, for a path ending in an id,
 * `|id|group` (`k3x9q|1732355940123|1|42|/api/users/`).
 */
function entryOf(writer: string, now: number, path: string, miss: boolean): string {
  const head = `${writer}${now}|${miss ? 1 : 0}`;
  const end = idEnd(path);
  const start = idStart(path, end);
  return start === -1 ? head : `${head}|${path.slice(start, end)}|${path.slice(0, Math.min(start, MAX_GROUP))}`;
}

interface Entry {
  readonly at: number;
  readonly miss: boolean;
  readonly id: number;
  readonly group: string | null;
}

/** Reads an entry written by {@link entryOf} (by any instance); null for one it cannot read. */
function parseEntry(text: string): Entry | null {
  const tag = text.indexOf('|');
  const a = text.indexOf('|', tag + 1);
  const at = Number(text.slice(tag + 1, a));
  if (a === -1 || !Number.isFinite(at)) return null;
  const b = text.indexOf('|', a + 1);
  const miss = text.slice(a + 1, b === -1 ? undefined : b) === '1';
  if (b === -1) return { at, miss, id: 0, group: null };
  const c = text.indexOf('|', b + 1);
  const id = Number(text.slice(b + 1, c));
  return c === -1 || !Number.isFinite(id) ? { at, miss, id: 0, group: null } : { at, miss, id, group: text.slice(c + 1) };
}

/** A client's state from its shared log and the entries not sent yet, replayed in time order. */
function rebuild(log: readonly string[], waiting: readonly string[] | undefined): ClientState {
  const entries: Entry[] = [];
  for (const text of log) {
    const e = parseEntry(text);
    if (e !== null) entries.push(e);
  }
  if (waiting !== undefined) for (const text of waiting) entries.push(parseEntry(text)!);
  entries.sort((x, y) => x.at - y.at);
  const s = new ClientState();
  for (const e of entries) {
    s.answer(e.at, e.miss);
    if (e.group !== null) s.follow(e.group, e.group.length, e.id);
  }
  return s;
}

/**
 * Per-client state in two generations: clients seen lately in `young`, the rest in `old`. When `young`
 * holds half the bound, it becomes `old` and the previous `old` is dropped whole: at most `max`
 * clients, the least recently seen go first, and no per-request reordering (deleting from a Map's
 * front leaves holes that its iterator must step over, which made a plain LRU slow once full).
 */
class BehaviourTracker {
  #young = new Map<string, ClientState>();
  #old = new Map<string, ClientState>();
  readonly #half: number;

  constructor(max: number) {
    this.#half = Math.max(1, Math.floor(max / 2));
  }

  peek(ip: string): ClientState | undefined {
    return this.#young.get(ip) ?? this.#old.get(ip);
  }

  record(ip: string, now: number, path: string, miss: boolean): void {
    let s = this.#young.get(ip);
    if (s === undefined) {
      s = this.#old.get(ip);
      if (s !== undefined) this.#old.delete(ip);
      else s = new ClientState();
      this.#add(ip, s);
    }
    s.record(now, path, miss);
  }

  /** Puts in `s` as the client's state (rebuilt from its shared log). */
  replace(ip: string, s: ClientState): void {
    if (this.#young.has(ip)) this.#young.set(ip, s);
    else {
      this.#old.delete(ip);
      this.#add(ip, s);
    }
  }

  #add(ip: string, s: ClientState): void {
    if (this.#young.size >= this.#half) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(ip, s);
  }
}

/**
 * Pools the tracker with other instances through the store's shared logs (see the top of this file):
 * entries wait per client until the next round trip, whose answer replaces the clients it names.
 */
class SharedLogs {
  readonly #tracker: BehaviourTracker;
  #waiting = new Map<string, string[]>();
  #count = 0;
  #target: SharedTrackers | null = null;
  /** This instance's tag: it starts its entries and names it as the writer of its appends. */
  readonly #writer = `${randomBytes(4).toString('hex')}|`;
  readonly sync = new SharedSync(
    () => this.#flush(),
    () => this.#count > 0,
  );

  constructor(tracker: BehaviourTracker) {
    this.#tracker = tracker;
  }

  push(shared: SharedTrackers, ip: string, now: number, path: string, miss: boolean): void {
    if (shared !== this.#target) {
      // Another store (an engine rebuilt on a new one): what waited was meant for the old one.
      this.#target = shared;
      this.#waiting = new Map();
      this.#count = 0;
    }
    // Too many waiting means the store is slow or down (its own stats count the failures).
    if (this.#count >= MAX_WAITING) return;
    const entry = entryOf(this.#writer, now, path, miss);
    const list = this.#waiting.get(ip);
    if (list === undefined) this.#waiting.set(ip, [entry]);
    else list.push(entry);
    this.#count++;
    this.sync.request();
  }

  #flush(): Promise<void> | null {
    const target = this.#target;
    if (target === null || this.#count === 0) return null;
    const ips: string[] = [];
    const appends: LogAppend[] = [];
    for (const [ip, entries] of this.#waiting) {
      if (ips.length === MAX_CLIENTS_PER_FLUSH) break;
      ips.push(ip);
      appends.push({ key: `b:${ip}`, entries, capacity: SHARED_ENTRIES, ttlMs: SHARED_TTL_MS, writer: this.#writer });
      this.#count -= entries.length;
    }
    for (const ip of ips) this.#waiting.delete(ip);
    return target.append(appends).then((logs) => {
      for (let i = 0; i < ips.length; i++) {
        const log = logs[i]!;
        // Null: only this instance wrote since it last read the log, so its state lacks nothing (one
        // instance, sticky balancing). A log of its own entries alone says nothing new either.
        if (log === null || log.every((entry) => entry.startsWith(this.#writer))) continue;
        // Entries that arrived meanwhile are in the state already and must stay in it.
        this.#tracker.replace(ips[i]!, rebuild(log, this.#waiting.get(ips[i]!)));
      }
    });
  }
}

/**
 * The four behaviour signals over one fresh tracker (see the top of this file). `maxClients` bounds
 * it (default {@link MAX_CLIENTS}).
 *
 * @example
 * const signals = [...createBehaviourSignals()];
 */
export function createBehaviourSignals(maxClients = MAX_CLIENTS): readonly Signal[] {
  const tracker = new BehaviourTracker(maxClients);
  const shared = new SharedLogs(tracker);
  const timingRegular: Signal = {
    name: 'timing.regular',
    weight: 30,
    detect(ctx: RequestContext) {
      const r = tracker.peek(ctx.clientIp)?.rhythm();
      if (r == null || r.cv >= MAX_CV || r.mean >= MAX_MEAN_INTERVAL_MS) return null;
      return `last ${INTERVALS} intervals ${Math.round(r.mean)} ms apart on average, varying by ${Math.round(r.cv * 100)}%`;
    },
    // The one observer of the four: the tracker learns once per answered request.
    observe(ctx: RequestContext, status: number, store: SharedTrackers | null) {
      const miss = status === 403 || status === 404;
      tracker.record(ctx.clientIp, ctx.now, ctx.path, miss);
      if (store !== null) shared.push(store, ctx.clientIp, ctx.now, ctx.path, miss);
    },
    settle: () => shared.sync.idle(),
  };
  const timingFast: Signal = {
    name: 'timing.fast',
    weight: 20,
    detect(ctx: RequestContext) {
      const r = tracker.peek(ctx.clientIp)?.rhythm();
      if (r == null || r.mean >= FAST_MEAN_INTERVAL_MS) return null;
      return `last ${INTERVALS} intervals ${Math.round(r.mean)} ms apart on average`;
    },
  };
  const idsSequential: Signal = {
    name: 'ids.sequential',
    weight: 40,
    detect(ctx: RequestContext) {
      const s = tracker.peek(ctx.clientIp);
      if (s?.walks == null) return null;
      for (const w of s.walks) if (w.run >= SEQUENTIAL_RUN) return `${w.run} ids in a row under ${w.group}`;
      return null;
    },
  };
  const responseMisses: Signal = {
    name: 'responses.misses',
    weight: 30,
    detect(ctx: RequestContext) {
      const s = tracker.peek(ctx.clientIp);
      if (s === undefined || s.answers < MIN_MISS_ANSWERS) return null;
      const share = s.missShare();
      return share >= 0.5 ? `${Math.round(share * 100)}% of the last ${s.answers} answers were 403 or 404` : null;
    },
  };
  return [timingRegular, timingFast, idsSequential, responseMisses];
}

