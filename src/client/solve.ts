/**
 * Solving an ALTCHA challenge off the main thread: worker_threads in Node, a Web Worker in browsers,
 * and in-thread when neither is available (or `worker: false`), or when the challenge is so cheap that
 * starting a worker would take longer than solving it. The same solver runs everywhere
 * (src/challenge/sha256-solver.ts).
 */
import { IN_THREAD_UP_TO, rampartSolve, SOLVER_SOURCE } from '../challenge/sha256-solver.ts';

/** A challenge as the server sends it (`body.challenge`). */
export interface Challenge {
  algorithm: string;
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

export interface SolveOptions {
  /** Solve in a worker (default true); false always solves in the calling thread. */
  worker?: boolean;
  /**
   * Challenges with `maxnumber` up to this are solved in the calling thread, where they take a few
   * milliseconds (a phone: tens), less than starting a worker (Node: ~30–200 ms). Default 50,000.
   */
  inThreadUpTo?: number;
}



type NodeWorkerModule = typeof import('node:worker_threads');

const NODE_WORKER = `${SOLVER_SOURCE}
const { parentPort, workerData: d } = require('node:worker_threads');
parentPort.postMessage(rampartSolve(d.challenge, d.salt, d.maxnumber, 0, 1));`;

const WEB_WORKER = `${SOLVER_SOURCE}
onmessage = function (e) { var d = e.data; postMessage(rampartSolve(d.challenge, d.salt, d.maxnumber, 0, 1)); };`;

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

async function inNodeWorker(c: Challenge): Promise<number> {
  const { Worker } = (await import('node:worker_threads')) as NodeWorkerModule;
  return new Promise((resolve, reject) => {
    const worker = new Worker(NODE_WORKER, { eval: true, workerData: { challenge: c.challenge, salt: c.salt, maxnumber: c.maxnumber } });
    worker.once('message', (n: number) => {
      void worker.terminate();
      resolve(n);
    });
    worker.once('error', reject);
  });
}

/** The part of the DOM's Worker used here (the package is typed without the DOM library). */
interface WebWorker {
  onmessage: ((e: { data: number }) => void) | null;
  onerror: ((e: { message: string }) => void) | null;
  postMessage(value: unknown): void;
  terminate(): void;
}
type WebWorkerConstructor = new (url: string) => WebWorker;

function webWorkerConstructor(): WebWorkerConstructor | undefined {
  const W = (globalThis as { Worker?: WebWorkerConstructor }).Worker;
  return typeof W === 'function' && typeof Blob === 'function' && typeof URL.createObjectURL === 'function' ? W : undefined;
}

function inWebWorker(W: WebWorkerConstructor, c: Challenge): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(new Blob([WEB_WORKER], { type: 'text/javascript' }));
    const worker = new W(url);
    worker.onmessage = (e) => {
      worker.terminate();
      URL.revokeObjectURL(url);
      resolve(e.data);
    };
    worker.onerror = (e) => {
      worker.terminate();
      URL.revokeObjectURL(url);
      reject(new Error(e.message));
    };
    worker.postMessage({ challenge: c.challenge, salt: c.salt, maxnumber: c.maxnumber });
  });
}

/** The secret number of a challenge, or -1 when there is none up to `maxnumber`. */
export async function solveNumber(c: Challenge, options: SolveOptions = {}): Promise<number> {
  if (options.worker !== false && c.maxnumber > (options.inThreadUpTo ?? IN_THREAD_UP_TO)) {
    try {
      if (isNode()) return await inNodeWorker(c);
      const W = webWorkerConstructor();
      if (W !== undefined) return await inWebWorker(W, c);
    } catch {
      // A worker that cannot start (CSP, sandbox): solve here instead.
    }
  }
  return rampartSolve(c.challenge, c.salt, c.maxnumber, 0, 1);
}

/**
 * Solves a challenge and returns the ALTCHA payload (base64 JSON) for the `Rampart-Solution` header.
 *
 * @example
 * const payload = await solveChallenge((await res.json()).challenge);
 * await fetch(url, { headers: { 'rampart-solution': payload } });
 */
export async function solveChallenge(c: Challenge, options: SolveOptions = {}): Promise<string> {
  const t0 = Date.now();
  const number = await solveNumber(c, options);
  if (number < 0) throw new Error('rampart: the challenge has no solution (was it changed on the way?)');
  const json = JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number, salt: c.salt, signature: c.signature, took: Date.now() - t0 });
  return btoa(json);
}
