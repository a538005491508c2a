import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { issuePass, readPass } from './pass-token.ts';
import { HmacSha256 } from './sha256.ts';

const KEY = new HmacSha256(Buffer.alloc(32, 7));
const CLAIMS = { expires: 1_800_000_000, level: 2, group: 'a.b-c', fp: '0123456789abcdef' };

describe('pass tokens', () => {
  it('carry their claims, group names with dots included', () => {
    assert.deepEqual(readPass(KEY, issuePass(KEY, CLAIMS)), CLAIMS);
  });

  it('are refused after any one-character change, or under another key', () => {
    const token = issuePass(KEY, CLAIMS);
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom(...'0123456789abcdefAZ_-.'), (at, ch) => {
        const i = at % token.length;
        fc.pre(token[i] !== ch);
        return readPass(KEY, token.slice(0, i) + ch + token.slice(i + 1)) === null;
      }),
    );
    assert.equal(readPass(new HmacSha256(Buffer.alloc(32, 8)), token), null);
    assert.equal(readPass(KEY, 'p1.' + 'x'.repeat(300)), null);
  });
});
