import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HmacSha256, sha256Hex } from './sha256.ts';

describe('plain-JS SHA-256', () => {
  it('agrees with node:crypto on any text, every length around the block boundaries included', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (text) => sha256Hex(text) === createHash('sha256').update(text).digest('hex')), { numRuns: 500 });
    for (let n = 0; n < 200; n++) assert.equal(sha256Hex('a'.repeat(n)), createHash('sha256').update('a'.repeat(n)).digest('hex'));
  });

  it('computes HMAC-SHA-256 as node:crypto does, for short and long keys', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.string({ maxLength: 200 }), (key, text) => {
        const mine = Buffer.from(new HmacSha256(key).digest(text));
        return mine.equals(createHmac('sha256', key).update(text).digest());
      }),
      { numRuns: 300 },
    );
  });
});
