/**
 * The ALTCHA SHA-256 solver in plain JavaScript, for browsers: the interstitial page and Web Workers
 * run its source text (`SOLVER_SOURCE`), and `rampart/client` calls it in-thread when there is no
 * worker. Plain code rather than WebCrypto because `crypto.subtle` exists only in secure contexts (an
 * intranet site on http has none) and costs a promise per hash; with the salt's full 64-byte blocks
 * hashed once (the midstate), each candidate is one compression, as fast as WebCrypto or faster.
 *
 * The function must stay self-contained (no imports, no outer names): its `toString()` is shipped.
 */

/**
 * Finds n in start, start+step, … ≤ max with sha256(salt + n) = challenge (hex); -1 when none.
 *
 * @example
 * rampartSolve(c.challenge, c.salt, c.maxnumber, 0, 1) // 4711
 */
export function rampartSolve(challengeHex: string, salt: string, max: number, start: number, step: number): number {
  const K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);
  const W = new Int32Array(64);
  const compress = (h: Int32Array, m: Uint8Array, off: number): void => {
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
      const t1 = (k + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] = (h[0]! + a) | 0; h[1] = (h[1]! + b) | 0; h[2] = (h[2]! + c) | 0; h[3] = (h[3]! + d) | 0;
    h[4] = (h[4]! + e) | 0; h[5] = (h[5]! + f) | 0; h[6] = (h[6]! + g) | 0; h[7] = (h[7]! + k) | 0;
  };
  const target = new Int32Array(8);
  for (let i = 0; i < 8; i++) target[i] = parseInt(challengeHex.slice(i * 8, i * 8 + 8), 16) | 0;
  const bytes = new TextEncoder().encode(salt);
  const full = bytes.length - (bytes.length % 64);
  const mid = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  for (let off = 0; off < full; off += 64) compress(mid, bytes, off);
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
    compress(h, buf, 0);
    if (end === 128) compress(h, buf, 64);
    if (h[0] === target[0] && h[1] === target[1] && h[2] === target[2] && h[3] === target[3] && h[4] === target[4] && h[5] === target[5] && h[6] === target[6] && h[7] === target[7]) return n;
  }
  return -1;
}

/** The solver's source text, defining `rampartSolve` for a page or a worker. */
export const SOLVER_SOURCE: string = rampartSolve.toString();
