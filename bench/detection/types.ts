// The shapes the detection benchmark passes around: a simulated request, its label, a scenario.
import type { Rng } from './prng.ts';
import type { AddressPools } from './ip-ranges.ts';

/** What an attacker gains when a labelled request is let through (allowed by the policy). */
export type SuccessKind = 'login' | 'page' | 'sms' | 'purchase' | 'account' | 'record' | 'probe';

/** One line of the labels file: `rampart replay --labels` reads `malicious`; the scorer reads the rest. */
export interface Label {
  readonly malicious: boolean;
  /** `legit` for the legitimate population, else the attack scenario's id. */
  readonly scenario: string;
  /** Who sent it: a legitimate user's id (for "users affected"), or the attacker's worker. */
  readonly actor: string;
  /** Set on requests that give the attacker something when allowed (a valid login found, a page scraped…). */
  readonly success?: SuccessKind;
}

/** A simulated request: the decision-log record of DESIGN.md plus its label. */
export interface SimRequest {
  /** Epoch ms. */
  ts: number;
  ip: string;
  method: string;
  url: string;
  /** Lower-case names, in the order the client sends them. */
  headers: Record<string, string>;
  body?: Record<string, unknown>;
  status: number;
  label: Label;
  /**
   * A checkout of the limited drop: its status (200 or 409 sold out) and `purchase` success are
   * settled after all traffic is merged, in time order, as the shop's stock would.
   */
  limitedCheckout?: boolean;
}

/** What every generator gets: its own random stream, the address pools and the simulated window. */
export interface SimContext {
  readonly rng: Rng;
  readonly pools: AddressPools;
  /** Epoch ms of the window's start. */
  readonly start: number;
  /** Window length in ms. */
  readonly durationMs: number;
  /** 1 for the full bench, smaller for `--quick` (populations and attack volumes scale with it). */
  readonly scale: number;
}

/** One labelled attack. */
export interface Scenario {
  /** Kebab-case id: the label's `scenario`. */
  readonly id: string;
  /** One sentence for BENCHMARKS.md. */
  readonly description: string;
  /** Naive attacks carry the goal "≥ 99% mitigated within 10 s". */
  readonly naive: boolean;
  /** What counts as the attacker's success here, for the table header. */
  readonly success: SuccessKind;
  generate(cx: SimContext): SimRequest[];
}
