/**
 * The ALTCHA SHA-256 solver in plain JavaScript, for browsers: the interstitial page and Web Workers
 * run its source text (`SOLVER_SOURCE`), and `rampart/client` calls it in-thread when there is no
 * worker. Plain code rather than WebCrypto because `crypto.subtle` exists only in secure contexts (an
 * intranet site on http has none) and costs a promise per hash; with the salt's full 64-byte blocks
 * hashed once (the midstate), each candidate is one compression, as fast as WebCrypto or faster.
 *
 * Its `toString()` is shipped with those of `sha256Block` and `SHA256_K`: it must use no other outer name.
 */
import { SHA256_K, sha256Block } from './sha256.ts';

/**
 * Finds n in start, start+step, … ≤ max with sha256(salt + n) = challenge (hex); -1 when none.
 *
 * @example
 * rampartSolve(c.challenge, c.salt, c.maxnumber, 0, 1) // 4711
 */
export function rampartSolve(challengeHex: string, salt: string, max: number, start: number, step: number): number {
  const W = new Int32Array(64);
  const target = new Int32Array(8);
  for (let i = 0; i < 8; i++) target[i] = parseInt(challengeHex.slice(i * 8, i * 8 + 8), 16) | 0;
  const bytes = new TextEncoder().encode(salt);
  const full = bytes.length - (bytes.length % 64);
  const mid = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  for (let off = 0; off < full; off += 64) sha256Block(mid, W, bytes, off);
  const rest = bytes.length - full;
  const buf = new Uint8Array(128);
  buf.set(bytes.subarray(full));
  const h = new Int32Array(8);
  for (let n = start; n <= max; n += step) {
    const digits = String(n);
    let p = rest;
    for (let j = 0; j < digits.length; j++) buf[p++] = digits.charCodeAt(j);
    buf[p++] = 0x80;
    const end = p + 8 <= 64 ? 64 : 128;
    while (p < end - 4) buf[p++] = 0;
    const bits = (bytes.length + digits.length) * 8;
    buf[end - 4] = bits >>> 24; buf[end - 3] = bits >>> 16; buf[end - 2] = bits >>> 8; buf[end - 1] = bits;
    h.set(mid);
    sha256Block(h, W, buf, 0);
    if (end === 128) sha256Block(h, W, buf, 64);
    if (h[0] === target[0] && h[1] === target[1] && h[2] === target[2] && h[3] === target[3] && h[4] === target[4] && h[5] === target[5] && h[6] === target[6] && h[7] === target[7]) return n;
  }
  return -1;
}

/**
 * Challenges with `maxnumber` up to this are solved in the calling thread by default (rampart/client,
 * the interstitial page): a few milliseconds, less than starting a worker.
 */
export const IN_THREAD_UP_TO = 50_000;

/**
 * The solver's source text for a page or a worker: `rampartSolve` and the SHA-256 block function it
 * calls, defined at the top level of the script just as they are in this module.
 */
export const SOLVER_SOURCE: string = `var SHA256_K = new Int32Array([${Array.from(SHA256_K).join(',')}]);
${sha256Block.toString()}
${rampartSolve.toString()}`;
