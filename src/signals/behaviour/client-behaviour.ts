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
 * State is per engine (per instance) and bounded: at most {@link MAX_CLIENTS} clients, those not seen
 * for longest dropped first, each a few dozen numbers. Under a load balancer each instance sees its
 * share of a client's requests: rhythm and id walks survive sticky or round-robin balancing but blur
 * under random balancing. Limits with `distinct` keep counts in the shared store instead.
 */
import type { RequestContext } from '../../engine/request-context.ts';
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

  record(now: number, path: string, status: number): void {
    if (this.last >= 0) {
      this.intervals[this.next] = Math.max(0, now - this.last);
      this.next = (this.next + 1) % INTERVALS;
      if (this.filled < INTERVALS) this.filled++;
    }
    this.last = now;
    this.misses = ((this.misses << 1) | (status === 403 || status === 404 ? 1 : 0)) >>> 0;
    if (this.answers < ANSWERS) this.answers++;
    this.walk(path);
  }

  /**
   * Follows the path's last segment when it is a decimal id (`/api/users/42`, `/api/users/42/`): its
   * group is the path up to that segment. Compares in place: a new string only for a new group.
   */
  walk(path: string): void {
    let end = path.length;
    if (end > 1 && path.charCodeAt(end - 1) === 47) end--;
    let start = end;
    while (start > 0) {
      const c = path.charCodeAt(start - 1);
      if (c < 48 || c > 57) break;
      start--;
    }
    if (start === end || end - start > MAX_ID_DIGITS || start === 0 || path.charCodeAt(start - 1) !== 47) return;
    const id = Number(path.slice(start, end));
    const walks = (this.walks ??= []);
    for (const w of walks) {
      if (w.group.length === start && path.startsWith(w.group)) {
        w.run = Math.abs(id - w.last) === 1 ? w.run + 1 : 1;
        w.last = id;
        return;
      }
    }
    if (walks.length === PATH_GROUPS) walks.shift();
    walks.push({ group: path.slice(0, start), last: id, run: 1 });
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

  record(ip: string, now: number, path: string, status: number): void {
    let s = this.#young.get(ip);
    if (s === undefined) {
      s = this.#old.get(ip);
      if (s !== undefined) this.#old.delete(ip);
      else s = new ClientState();
      if (this.#young.size >= this.#half) {
        this.#old = this.#young;
        this.#young = new Map();
      }
      this.#young.set(ip, s);
    }
    s.record(now, path, status);
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
  const timingRegular: Signal = {
    name: 'timing.regular',
    weight: 30,
    detect(ctx: RequestContext) {
      const r = tracker.peek(ctx.clientIp)?.rhythm();
      if (r == null || r.cv >= MAX_CV || r.mean >= MAX_MEAN_INTERVAL_MS) return null;
      return `last ${INTERVALS} intervals ${Math.round(r.mean)} ms apart on average, varying by ${Math.round(r.cv * 100)}%`;
    },
    // The one observer of the three: the tracker learns once per answered request.
    observe(ctx: RequestContext, status: number) {
      tracker.record(ctx.clientIp, ctx.now, ctx.path, status);
    },
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

