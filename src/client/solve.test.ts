import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { issueAltcha, verifyAltcha } from '../challenge/altcha.ts';
import { HmacSha256 } from '../challenge/sha256.ts';
import { solveChallenge } from './solve.ts';

const MAC = new HmacSha256(Buffer.alloc(32, 5));
const BINDING = { expires: 2_000_000_000, fp: '0123456789abcdef', group: 'a1b2c3d4e5f6', level: 0 };

describe('rampart/client solveChallenge', () => {
  it('solves in a worker thread above the in-thread threshold, and in-thread below it or when told', async () => {
    for (const [max, options] of [[80_000, {}], [5_000, {}], [80_000, { worker: false }], [80_000, { inThreadUpTo: 100_000 }]] as const) {
      const c = issueAltcha(MAC, max, BINDING);
      const payload = await solveChallenge(c, options);
      const verified = verifyAltcha(MAC, payload);
      assert.ok(verified !== null, `maxnumber ${max}, ${JSON.stringify(options)}`);
      assert.equal(verified.fp, BINDING.fp);
    }
  });

  it('rejects a challenge that has no solution in range', async () => {
    const c = issueAltcha(MAC, 5_000, BINDING);
    await assert.rejects(solveChallenge({ ...c, challenge: '0'.repeat(64) }), /has no solution/);
  });
});
