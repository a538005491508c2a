// The traffic simulator: a seeded legitimate population plus every attack scenario, merged in time
// order into decision-log records (DESIGN.md "Decision log = replay input") and their labels.
//
//   node bench/detection/simulate.ts --out <dir> [--seed N] [--quick]
//     writes <dir>/traffic.jsonl and <dir>/labels.jsonl (one label per record, for `rampart replay --labels`)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAddressPools } from './ip-ranges.ts';
import type { AddressPools } from './ip-ranges.ts';
import { generatePopulation } from './population.ts';
import { createRng } from './prng.ts';
import { LIMITED_STOCK } from './request.ts';
import { SCENARIOS } from './scenarios/index.ts';
import type { Label, Scenario, SimRequest } from './types.ts';

export interface SimulationOptions {
  readonly seed: number;
  /** 1 for the bench; `--quick` uses less. */
  readonly scale: number;
  /** Default: every scenario in scenarios/index.ts. */
  readonly scenarios?: readonly Scenario[];
  /** Default: loadAddressPools(). */
  readonly pools?: AddressPools;
}

export interface Simulation {
  /** In time order. */
  readonly records: readonly SimRequest[];
  readonly scenarios: readonly Scenario[];
  /** Legitimate users simulated. */
  readonly users: number;
  /** Where the addresses came from. */
  readonly addressSource: string;
  readonly start: number;
  readonly durationMs: number;
}

/** The simulated window: two hours of a Monday. */
export const WINDOW_START = Date.parse('2026-11-23T10:00:00Z');
export const WINDOW_MS = 2 * 3600_000;

/**
 * Generates the labelled traffic. Same seed and scale → the same records, byte for byte.
 *
 * @example
 * const sim = simulate({ seed: 7, scale: 1 });
 * sim.records.filter((r) => r.label.scenario === 'stuffing-naive').length; // 2000
 */
export function simulate(options: SimulationOptions): Simulation {
  const pools = options.pools ?? loadAddressPools();
  const scenarios = options.scenarios ?? SCENARIOS;
  const root = createRng(options.seed);
  const base = { pools, start: WINDOW_START, durationMs: WINDOW_MS, scale: options.scale };
  const population = generatePopulation({ ...base, rng: root.fork('legit') });
  const all: SimRequest[] = population.records;
  for (const s of scenarios) for (const r of s.generate({ ...base, rng: root.fork(s.id) })) all.push(r);
  // Stable sort: records of one client at the same millisecond keep their order.
  all.sort((a, b) => a.ts - b.ts);
  settleDrop(all);
  return { records: all, scenarios, users: population.users, addressSource: pools.source, start: WINDOW_START, durationMs: WINDOW_MS };
}

/**
 * The shop's stock, in time order: the first checkouts of the limited drop buy it (200), one per
 * buyer, later ones find it sold out (409). A bot's purchase is its success.
 */
function settleDrop(records: SimRequest[]): void {
  let left = LIMITED_STOCK;
  const bought = new Set<string>();
  for (const r of records) {
    if (r.limitedCheckout !== true) continue;
    const who = `${r.label.scenario}/${r.label.actor}`;
    if (left > 0 && !bought.has(who)) {
      left--;
      bought.add(who);
      r.status = 200;
      if (r.label.malicious) r.label = { ...r.label, success: 'purchase' };
    } else r.status = 409;
  }
}

/** The record as the gateway's decision log would hold it (the label is not part of it). */
export function toLogLine(r: SimRequest): string {
  const rec: Record<string, unknown> = { ts: new Date(r.ts).toISOString(), ip: r.ip, method: r.method, url: r.url, headers: r.headers };
  if (r.body !== undefined) rec['body'] = r.body;
  rec['status'] = r.status;
  return JSON.stringify(rec);
}

export function toLabelLine(label: Label): string {
  return JSON.stringify(label);
}

/** Writes traffic.jsonl and labels.jsonl into `dir`; returns their paths. */
export function writeSimulation(sim: Simulation, dir: string): { traffic: string; labels: string } {
  mkdirSync(dir, { recursive: true });
  const traffic = join(dir, 'traffic.jsonl');
  const labels = join(dir, 'labels.jsonl');
  writeFileSync(traffic, sim.records.map((r) => toLogLine(r) + '\n').join(''));
  writeFileSync(labels, sim.records.map((r) => toLabelLine(r.label) + '\n').join(''));
  return { traffic, labels };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i === -1 ? undefined : process.argv[i + 1];
  };
  const out = arg('--out');
  if (out === undefined) {
    process.stderr.write('usage: node bench/detection/simulate.ts --out <dir> [--seed N] [--quick]\n');
    process.exit(2);
  }
  const sim = simulate({ seed: Number(arg('--seed') ?? 1), scale: process.argv.includes('--quick') ? 0.25 : 1 });
  const files = writeSimulation(sim, out);
  process.stderr.write(`${sim.records.length.toLocaleString('en-US')} records → ${files.traffic}, ${files.labels}\n`);
}
