/**
 * SHA-256 and HMAC-SHA-256 in plain JavaScript, synchronous and allocation-light. The server checks
 * challenges, passes and fingerprints with it: node:crypto's HMAC costs several microseconds per call
 * (an OpenSSL context per key), while a precomputed key (its inner and outer blocks hashed once) makes
 * an HMAC of a short message three compressions, about a microsecond. The browser solver runs the same
 * block function (see sha256-solver.ts, which ships `SHA256_K` and `sha256Block` as source text).
 */

export const SHA256_K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);

const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** One compression: absorbs the 64-byte block at `m[off]` into `h`. `W` is scratch (64 words). */
export function sha256Block(h: Int32Array, W: Int32Array, m: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++) {
    const j = off + i * 4;
    W[i] = (m[j]! << 24) | (m[j + 1]! << 16) | (m[j + 2]! << 8) | m[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15]!;
    const y = W[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, k = h[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (k + S1 + ((e & f) ^ (~e & g)) + SHA256_K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  h[0] = (h[0]! + a) | 0; h[1] = (h[1]! + b) | 0; h[2] = (h[2]! + c) | 0; h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0; h[5] = (h[5]! + f) | 0; h[6] = (h[6]! + g) | 0; h[7] = (h[7]! + k) | 0;
}

const W = new Int32Array(64);
const TAIL = new Uint8Array(128);
const encoder = new TextEncoder();
let scratch = new Uint8Array(4096);

/** UTF-8 bytes of `text` in a shared buffer (valid until the next call). */
function utf8(text: string): Uint8Array {
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(text.length * 3);
  return scratch.subarray(0, encoder.encodeInto(text, scratch).written);
}

/** Hashes `data` into `h`, which has already absorbed `prefix` bytes (a multiple of 64), and pads. */
function finish(h: Int32Array, prefix: number, data: Uint8Array): void {
  const n = data.length;
  let off = 0;
  for (; off + 64 <= n; off += 64) sha256Block(h, W, data, off);
  const rest = n - off;
  TAIL.fill(0);
  TAIL.set(data.subarray(off), 0);
  TAIL[rest] = 0x80;
  const end = rest + 9 <= 64 ? 64 : 128;
  const bits = (prefix + n) * 8;
  TAIL[end - 5] = Math.floor(bits / 2 ** 32);
  TAIL[end - 4] = bits >>> 24;
  TAIL[end - 3] = bits >>> 16;
  TAIL[end - 2] = bits >>> 8;
  TAIL[end - 1] = bits;
  sha256Block(h, W, TAIL, 0);
  if (end === 128) sha256Block(h, W, TAIL, 64);
}

function toBytes(h: Int32Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = h[i]!;
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = v >>> 16;
    out[i * 4 + 2] = v >>> 8;
    out[i * 4 + 3] = v;
  }
  return out;
}

/**
 * Hex SHA-256 of a string's UTF-8 bytes.
 *
 * @example
 * sha256Hex('abc') // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
export function sha256Hex(text: string): string {
  const h = new Int32Array(H0);
  finish(h, 0, utf8(text));
  // Server-side only (the browser solver never calls it): Buffer's native hex beats building it here.
  return Buffer.from(toBytes(h).buffer).toString('hex');
}

/**
 * HMAC-SHA-256 under one key, with the key's blocks hashed once.
 *
 * @example
 * new HmacSha256(key).digest('message') // 32 bytes
 */
export class HmacSha256 {
  readonly #inner = new Int32Array(H0);
  readonly #outer = new Int32Array(H0);

  constructor(key: Uint8Array) {
    let k = key;
    if (k.length > 64) {
      const h = new Int32Array(H0);
      finish(h, 0, k);
      k = toBytes(h);
    }
    const pad = new Uint8Array(64);
    for (let i = 0; i < 64; i++) pad[i] = (k[i] ?? 0) ^ 0x36;
    sha256Block(this.#inner, W, pad, 0);
    for (let i = 0; i < 64; i++) pad[i] = (k[i] ?? 0) ^ 0x5c;
    sha256Block(this.#outer, W, pad, 0);
  }

  /** The MAC of a string's UTF-8 bytes. */
  digest(text: string): Uint8Array {
    const h = this.#inner.slice();
    finish(h, 64, utf8(text));
    const o = this.#outer.slice();
    finish(o, 64, toBytes(h));
    return toBytes(o);
  }
}
