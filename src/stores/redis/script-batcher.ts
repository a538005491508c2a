/**
 * Coalesces the store's requests into as few script calls as possible. Requests made in the same
 * tick (a busy gateway decides many at once) are queued and sent together on the next tick: one
 * EVALSHA per hash slot (one in all on a single server) carries the limit calls of many requests.
 * Each request still waits for exactly one round trip, and each request's calls stay together and
 * in order inside one atomic script; Redis runs one script, one `TIME` and one reply instead of one
 * per request, which is where a Redis-bound deployment spends its time.
 *
 * A call with a `member` brings a second key (its member key, on the same slot as its counter key):
 * each script's KEYS are the counter keys of its calls, then the member keys, and each call's last
 * number points at its member key (see limits-script.ts).
 */
import type { LimitCall, LimitRefund } from '../types.ts';
import { keySlot } from './key-slot.ts';

/** One request: its calls (or refunds), and what to do with the answer. */
export interface BatchRequest {
  readonly items: readonly (LimitCall | LimitRefund)[];
  readonly now: number;
  /** Script replies not yet received for this request (set by the batcher). */
  left: number;
  failed: boolean;
  /** Called once per item: `reply[offset … offset + 4]` is its answer; `reply[reply.length - 1]` the server time. */
  onItem(index: number, reply: readonly number[], offset: number): void;
  onDone(): void;
  onError(err: unknown): void;
}

export interface BatcherOptions {
  /** True: one script per hash slot. */
  cluster: boolean;
  /** Most keys (counter and member keys) in one script; a bigger batch is split between requests. */
  maxKeys: number;
  /** `''` for the server's time, or the caller's `now` (test mode: requests are then never merged). */
  timeArg: (now: number) => string | number;
  slack: string;
  redisKey(item: LimitCall | LimitRefund): string;
  /** The key that remembers `member` for the counter at `counterKey`; it must hash to the same slot. */
  memberKey(counterKey: string, member: string): string;
  /** Writes the first 6 numbers of `item` at `args[j … j + 5]` (the batcher writes the 7th). */
  encode(item: LimitCall | LimitRefund, refund: boolean, args: (string | number)[], j: number): void;
  /** Sends one script; resolves with its reply. */
  run(args: (string | number)[], numKeys: number): Promise<number[]>;
  /** Called once per flush (one round trip for everything in it). */
  onRoundTrip(): void;
  onScriptOk(): void;
  /** Turns a script failure into the error every request in it rejects with. */
  onScriptError(err: unknown, now: number): unknown;
}

const HEAD = 3;
const PER_CALL = 7;

/** How many of `items` have a member, i.e. bring a member key. */
function countMembers(items: readonly (LimitCall | LimitRefund)[]): number {
  let members = 0;
  for (let i = 0; i < items.length; i++) if (items[i]!.member !== undefined) members++;
  return members;
}

export interface ScriptBatcher {
  submit(request: BatchRequest, refund: boolean): void;
}

/** @example const batcher = createScriptBatcher({ ... }); batcher.submit(request, false); */
export function createScriptBatcher(o: BatcherOptions): ScriptBatcher {
  let consumes: BatchRequest[] = [];
  let refunds: BatchRequest[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    const c = consumes;
    const r = refunds;
    consumes = [];
    refunds = [];
    o.onRoundTrip();
    if (c.length > 0) sendAll(c, false);
    if (r.length > 0) sendAll(r, true);
  }

  function sendAll(batch: BatchRequest[], refund: boolean): void {
    if (o.cluster) {
      sendBySlot(batch, refund);
      return;
    }
    // Chunks of whole requests, each within maxKeys (a request bigger than that goes alone).
    let start = 0;
    let calls = 0;
    let members = 0;
    for (let i = 0; i < batch.length; i++) {
      const items = batch[i]!.items;
      const m = countMembers(items);
      if (calls > 0 && calls + members + items.length + m > o.maxKeys) {
        sendChunk(batch, start, i, calls, members, refund);
        start = i;
        calls = 0;
        members = 0;
      }
      calls += items.length;
      members += m;
    }
    sendChunk(batch, start, batch.length, calls, members, refund);
  }

  /** A script's arguments with its head filled in: `calls` counter keys and `members` member keys come first. */
  function newArgs(calls: number, members: number, refund: boolean, now: number): (string | number)[] {
    const keys = calls + members;
    const args = new Array<string | number>(keys + HEAD + PER_CALL * calls);
    args[keys] = o.timeArg(now);
    args[keys + 1] = refund ? 'r' : 'c';
    args[keys + 2] = o.slack;
    return args;
  }

  /**
   * Writes call number `k` of a script whose KEYS hold `keys` keys: its counter key at `k`, its
   * numbers, and its member key (if any) at `m`, the next free place after the counter keys.
   * Returns the next free place for a member key.
   */
  function putCall(args: (string | number)[], keys: number, k: number, m: number, item: LimitCall | LimitRefund, refund: boolean): number {
    const key = o.redisKey(item);
    const j = keys + HEAD + PER_CALL * k;
    args[k] = key;
    o.encode(item, refund, args, j);
    const member = item.member;
    if (member === undefined) {
      args[j + 6] = 0;
      return m;
    }
    args[m] = o.memberKey(key, member);
    // Lua's KEYS are numbered from 1.
    args[j + 6] = m + 1;
    return m + 1;
  }

  function sendChunk(batch: BatchRequest[], from: number, to: number, calls: number, members: number, refund: boolean): void {
    const keys = calls + members;
    const args = newArgs(calls, members, refund, batch[from]!.now);
    let k = 0;
    let m = calls;
    for (let i = from; i < to; i++) {
      const req = batch[i]!;
      req.left = 1;
      const items = req.items;
      for (let p = 0; p < items.length; p++) m = putCall(args, keys, k++, m, items[p]!, refund);
    }
    o.run(args, keys).then(
      (reply) => {
        o.onScriptOk();
        let offset = 0;
        for (let i = from; i < to; i++) {
          const req = batch[i]!;
          const items = req.items;
          if (!refund) for (let p = 0; p < items.length; p++, offset += 5) req.onItem(p, reply, offset);
          req.onDone();
        }
      },
      (err: unknown) => {
        const error = o.onScriptError(err, batch[from]!.now);
        for (let i = from; i < to; i++) batch[i]!.onError(error);
      },
    );
  }

  function sendBySlot(batch: BatchRequest[], refund: boolean): void {
    // A call's member key shares its counter key's hash tag, so the counter key alone picks the slot.
    const bySlot = new Map<number, { calls: { req: BatchRequest; index: number }[]; members: number }>();
    for (const req of batch) {
      req.left = 0;
      const slots = new Set<number>();
      req.items.forEach((item, index) => {
        const slot = keySlot(o.redisKey(item));
        slots.add(slot);
        let group = bySlot.get(slot);
        if (group === undefined) bySlot.set(slot, (group = { calls: [], members: 0 }));
        group.calls.push({ req, index });
        if (item.member !== undefined) group.members++;
      });
      req.left = slots.size;
    }
    for (const { calls: group, members } of bySlot.values()) {
      const n = group.length;
      const keys = n + members;
      const args = newArgs(n, members, refund, group[0]!.req.now);
      let m = n;
      group.forEach(({ req, index }, k) => {
        m = putCall(args, keys, k, m, req.items[index]!, refund);
      });
      o.run(args, keys).then(
        (reply) => {
          o.onScriptOk();
          group.forEach(({ req, index }, k) => {
            if (req.failed) return;
            if (!refund) req.onItem(index, reply, 5 * k);
            // Count down once per group: the last item of this request in the group.
            if (k === n - 1 || group[k + 1]!.req !== req) if (--req.left === 0) req.onDone();
          });
        },
        (err: unknown) => {
          const error = o.onScriptError(err, group[0]!.req.now);
          for (const { req } of group) {
            if (req.failed) continue;
            req.failed = true;
            req.onError(error);
          }
        },
      );
    }
  }

  return {
    submit(request, refund) {
      // In test mode each request carries its own time, so it cannot share a script with others.
      if (o.timeArg(0) !== '') {
        o.onRoundTrip();
        if (o.cluster) sendBySlot([request], refund);
        else sendChunk([request], 0, 1, request.items.length, countMembers(request.items), refund);
        return;
      }
      (refund ? refunds : consumes).push(request);
      if (!scheduled) {
        scheduled = true;
        process.nextTick(flush);
      }
    },
  };
}
