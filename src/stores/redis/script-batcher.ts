/**
 * Coalesces the store's requests into as few script calls as possible. Requests made in the same
 * tick (a busy gateway decides many at once) are queued and sent together on the next tick: one
 * EVALSHA per hash slot (one in all on a single server) carries the limit calls of many requests.
 * Each request still waits for exactly one round trip, and each request's calls stay together and
 * in order inside one atomic script; Redis runs one script, one `TIME` and one reply instead of one
 * per request, which is where a Redis-bound deployment spends its time.
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
  /** Most keys in one script; a bigger batch is split between requests. */
  maxKeys: number;
  /** `''` for the server's time, or the caller's `now` (test mode: requests are then never merged). */
  timeArg: (now: number) => string | number;
  slack: string;
  redisKey(item: LimitCall | LimitRefund): string;
  /** Writes the 6 numbers of `item` at `args[j … j + 5]`. */
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
const PER_KEY = 6;

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
    let keys = 0;
    for (let i = 0; i < batch.length; i++) {
      const n = batch[i]!.items.length;
      if (keys > 0 && keys + n > o.maxKeys) {
        sendChunk(batch, start, i, keys, refund);
        start = i;
        keys = 0;
      }
      keys += n;
    }
    sendChunk(batch, start, batch.length, keys, refund);
  }

  function sendChunk(batch: BatchRequest[], from: number, to: number, n: number, refund: boolean): void {
    const args = new Array<string | number>(n + HEAD + PER_KEY * n);
    let k = 0;
    let j = n + HEAD;
    for (let i = from; i < to; i++) {
      const req = batch[i]!;
      req.left = 1;
      const items = req.items;
      for (let p = 0; p < items.length; p++) {
        const item = items[p]!;
        args[k++] = o.redisKey(item);
        o.encode(item, refund, args, j);
        j += PER_KEY;
      }
    }
    args[n] = o.timeArg(batch[from]!.now);
    args[n + 1] = refund ? 'r' : 'c';
    args[n + 2] = o.slack;
    o.run(args, n).then(
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
    const bySlot = new Map<number, { req: BatchRequest; index: number }[]>();
    for (const req of batch) {
      req.left = 0;
      const slots = new Set<number>();
      req.items.forEach((item, index) => {
        const slot = keySlot(o.redisKey(item));
        slots.add(slot);
        let group = bySlot.get(slot);
        if (group === undefined) bySlot.set(slot, (group = []));
        group.push({ req, index });
      });
      req.left = slots.size;
    }
    for (const group of bySlot.values()) {
      const n = group.length;
      const args = new Array<string | number>(n + HEAD + PER_KEY * n);
      group.forEach(({ req, index }, k) => {
        const item = req.items[index]!;
        args[k] = o.redisKey(item);
        o.encode(item, refund, args, n + HEAD + PER_KEY * k);
      });
      args[n] = o.timeArg(group[0]!.req.now);
      args[n + 1] = refund ? 'r' : 'c';
      args[n + 2] = o.slack;
      o.run(args, n).then(
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
        else sendChunk([request], 0, 1, request.items.length, refund);
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
