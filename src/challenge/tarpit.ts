/**
 * The tarpit: a tarpitted request waits `delay` before it goes on, and at most `max_concurrent` wait
 * at once (per process). Past the cap, a request gets the `when_full` action at once, so a flood of
 * tarpitted clients costs the gateway a bounded number of timers and sockets, never more.
 *
 * The engine only decides `tarpit`; front doors hold the request here. Replay never does, so it never
 * sleeps.
 */
import { parseDuration } from '../policy/duration.ts';
import type { PolicyDocument } from '../policy/schema.ts';

/** Longest allowed `tarpit.delay`. */
export const MAX_TARPIT_DELAY_MS = 60_000;

/** Something that says when the client has gone (a node:http ServerResponse's `close`). */
export interface CloseEmitter {
  once(event: 'close', listener: () => void): unknown;
  removeListener(event: 'close', listener: () => void): unknown;
}

export type TarpitWhenFull = PolicyDocument['tarpit']['when_full'];

export interface TarpitStats {
  /** Requests waiting now. */
  readonly held: number;
  /** Requests turned away because the tarpit was full, since start. */
  readonly overflowed: number;
}

/**
 * The tarpit gate of one engine. Its count survives policy reloads; its settings follow them.
 *
 * @example
 * if (!engine.tarpit.hold(() => next(), res)) answer(tarpitFullRefusal(engine.tarpit.whenFull));
 */
export class Tarpit {
  delayMs = 3000;
  maxConcurrent = 100;
  whenFull: TarpitWhenFull = 'throttle';
  #held = 0;
  #overflowed = 0;

  constructor(policy: PolicyDocument) {
    this.configure(policy);
  }

  configure(policy: PolicyDocument): void {
    const t = policy.tarpit;
    this.delayMs = Math.min(MAX_TARPIT_DELAY_MS, parseDuration(t.delay) ?? 3000);
    this.maxConcurrent = t.max_concurrent;
    this.whenFull = t.when_full;
  }

  /**
   * Holds a request: calls `release` after the delay and returns true, or returns false at once when
   * the tarpit is full (the caller applies `whenFull`). When `client` closes first, the wait ends
   * without calling `release` and the slot is freed.
   */
  hold(release: () => void, client?: CloseEmitter): boolean {
    if (this.#held >= this.maxConcurrent) {
      this.#overflowed++;
      return false;
    }
    this.#held++;
    const gone = (): void => {
      clearTimeout(timer);
      this.#held--;
    };
    const timer = setTimeout(() => {
      client?.removeListener('close', gone);
      this.#held--;
      release();
    }, this.delayMs);
    client?.once('close', gone);
    return true;
  }

  /** Like {@link hold}, as a promise: true after the delay, false at once when full or when `signal` aborts. */
  wait(signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal?.aborted === true) return resolve(false);
      let client: CloseEmitter | undefined;
      if (signal !== undefined) {
        client = {
          once: (_e, l) => signal.addEventListener('abort', () => { l(); resolve(false); }, { once: true }),
          removeListener: () => undefined,
        };
      }
      if (!this.hold(() => resolve(true), client)) resolve(false);
    });
  }

  stats(): TarpitStats {
    return { held: this.#held, overflowed: this.#overflowed };
  }
}
