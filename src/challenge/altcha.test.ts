import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { solveChallenge as altchaSolve, verifySolution as altchaVerify, createChallenge as altchaCreate } from 'altcha-lib/v1';
import fc from 'fast-check';
import { issueAltcha, verifyAltcha } from './altcha.ts';
import { HmacSha256 } from './sha256.ts';
import { rampartSolve } from './sha256-solver.ts';

// altcha-lib takes the HMAC key as a string; an ASCII one means the same bytes to both sides.
const KEY_TEXT = 'an-ascii-hmac-key-for-interop-tests-0123';
const KEY = new HmacSha256(Buffer.from(KEY_TEXT));
const BINDING = { expires: Math.floor(Date.now() / 1000) + 600, fp: '0123456789abcdef', group: 'a1b2c3d4e5f6', level: 1 };

function payloadOf(fields: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(fields)).toString('base64');
}

describe('ALTCHA challenges', () => {
  it('are solved by altcha-lib and the solution verifies here and in altcha-lib', async () => {
    const c = issueAltcha(KEY, 5000, BINDING);
    const solution = await altchaSolve(c.challenge, c.salt, c.algorithm, c.maxnumber).promise;
    assert.ok(solution !== null);
    const payload = payloadOf({ algorithm: c.algorithm, challenge: c.challenge, number: solution.number, salt: c.salt, signature: c.signature });
    assert.deepEqual({ ...verifyAltcha(KEY, payload), id: 'x' }, { ...BINDING, id: 'x' });
    assert.equal(await altchaVerify(payload, KEY_TEXT), true);
  });

  it('solves challenges altcha-lib issues with the same solver the browser runs', async () => {
    const c = await altchaCreate({ hmacKey: KEY_TEXT, maxnumber: 5000, params: { fp: 'f', g: 'g', l: '0' }, expires: new Date(Date.now() + 60_000) });
    const number = rampartSolve(c.challenge, c.salt, 5000, 0, 1);
    assert.ok(number >= 0);
    const verified = verifyAltcha(KEY, payloadOf({ ...c, number }));
    assert.equal(verified?.fp, 'f');
    assert.equal(verified?.group, 'g');
  });

  it('refuses any change to a solved payload', () => {
    const c = issueAltcha(KEY, 2000, BINDING);
    const number = rampartSolve(c.challenge, c.salt, c.maxnumber, 0, 1);
    const good = { algorithm: c.algorithm, challenge: c.challenge, number, salt: c.salt, signature: c.signature };
    assert.ok(verifyAltcha(KEY, payloadOf(good)) !== null);
    fc.assert(
      fc.property(fc.constantFrom('challenge', 'salt', 'signature'), fc.nat(), fc.constantFrom(...'0123456789abcdef&=?x'), (field, at, ch) => {
        const text = good[field as 'salt'];
        const i = at % text.length;
        fc.pre(text[i] !== ch);
        const changed = { ...good, [field]: text.slice(0, i) + ch + text.slice(i + 1) };
        return verifyAltcha(KEY, payloadOf(changed)) === null;
      }),
    );
    assert.equal(verifyAltcha(KEY, payloadOf({ ...good, number: number + 1 })), null);
    assert.equal(verifyAltcha(new HmacSha256(Buffer.from('another key, same length as the first!!')), payloadOf(good)), null);
  });

  it('finds the number for any salt length (one or two blocks after the midstate)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.integer({ min: 0, max: 300 }), (salt, secret) => {
        const challenge = createHash('sha256').update(salt + secret).digest('hex');
        return rampartSolve(challenge, salt, 300, 0, 1) === secret;
      }),
      { numRuns: 200 },
    );
  });
});
