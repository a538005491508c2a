// Shared measuring and reporting for the benchmarks. Timings are noisy on a shared 2-core machine:
// every benchmark runs its peers in the same process, interleaved in rounds, and reports ratios.
import { readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';

export interface Result {
  name: string;
  /** Median over batches of the mean time per operation, in ns. */
  medianNs: number;
  /** 99th percentile of per-batch mean time per operation, in ns. */
  p99BatchNs: number;
  /** Operations per second over all measured batches. */
  opsPerSec: number;
}

export type Op = (i: number) => unknown;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** Runs `op` for `batches × batchSize` operations (awaiting promises one at a time: concurrency 1). */
export async function measure(name: string, op: Op, opts: { batches: number; batchSize: number; offset?: number }): Promise<Result> {
  const samples: number[] = [];
  let total = 0n;
  let i = opts.offset ?? 0;
  for (let b = 0; b < opts.batches; b++) {
    const start = process.hrtime.bigint();
    for (let k = 0; k < opts.batchSize; k++) {
      const r = op(i++);
      if (isThenable(r)) await r;
    }
    const elapsed = process.hrtime.bigint() - start;
    total += elapsed;
    samples.push(Number(elapsed) / opts.batchSize);
  }
  samples.sort((a, b) => a - b);
  const ops = opts.batches * opts.batchSize;
  return {
    name,
    medianNs: samples[Math.floor(samples.length / 2)]!,
    p99BatchNs: samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.99))]!,
    opsPerSec: ops / (Number(total) / 1e9),
  };
}

/** Merges results of several rounds of the same case: median of medians, mean throughput. */
export function combine(rounds: Result[]): Result {
  const med = rounds.map((r) => r.medianNs).sort((a, b) => a - b);
  const p99 = rounds.map((r) => r.p99BatchNs).sort((a, b) => a - b);
  return {
    name: rounds[0]!.name,
    medianNs: med[Math.floor(med.length / 2)]!,
    p99BatchNs: p99[Math.floor(p99.length / 2)]!,
    opsPerSec: rounds.reduce((s, r) => s + r.opsPerSec, 0) / rounds.length,
  };
}

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model.trim() ?? 'cpu'}, ${platform()}/${arch()}, Node ${process.version}`;
}

/** Replaces the section between `<!-- bench:id -->` markers in BENCHMARKS.md (appends it when missing). */
export function writeSection(id: string, markdown: string): void {
  const file = new URL('../../BENCHMARKS.md', import.meta.url);
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = '# Benchmarks\n\nEvery figure here was written by the command shown with it. Timings are from a shared\n2-core machine; compare rows of the same run (ratios), not absolute numbers across runs.\n';
  }
  const open = `<!-- bench:${id} -->`;
  const close = `<!-- /bench:${id} -->`;
  const block = `${open}\n${markdown.trim()}\n${close}`;
  const a = text.indexOf(open);
  const b = text.indexOf(close);
  text = a !== -1 && b > a ? text.slice(0, a) + block + text.slice(b + close.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
}

export function fmtNs(ns: number): string {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;
}

export function fmtOps(ops: number): string {
  return ops >= 1e6 ? `${(ops / 1e6).toFixed(2)} M/s` : `${(ops / 1e3).toFixed(0)} k/s`;
}
