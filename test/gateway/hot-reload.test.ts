// Hot reload under load: 2,000 requests at concurrency 20 while the policy is swapped 20 times.
// Not one request fails (no 5xx, no socket error), and the last policy is the one in force.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { parsePolicy } from '../../src/policy/load-policy.ts';
import { startGateway, startUpstream } from './helpers.ts';
import type { RunningGateway, Upstream } from './helpers.ts';

const POLICY_A = `
rules:
  - name: api
    match: /api/**
    limit: { rate: 1000000/min }
`;
// B adds a deny rule for /api/blocked and keeps the api limit (its counter survives the swaps).
const POLICY_B = `
rules:
  - name: blocked
    match: /api/blocked
    action: deny
  - name: api
    match: /api/**
    limit: { rate: 1000000/min }
`;

const TOTAL = 2000;
const CONCURRENCY = 20;
const RELOADS = 20;

describe('hot reload under load', { timeout: 120_000 }, () => {
  let upstream: Upstream;
  let gw: RunningGateway;
  const agent = new Agent({ connections: CONCURRENCY });

  before(async () => {
    upstream = await startUpstream((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    gw = await startGateway(upstream.url, POLICY_A);
  });

  after(async () => {
    await gw.close();
    await upstream.close();
    await agent.close();
  });

  it('swaps the policy 20 times during 2,000 requests without failing one', async () => {
    const policies = [parsePolicy(POLICY_A), parsePolicy(POLICY_B)];
    const blockedBefore = await request(`${gw.url}/api/blocked`, { dispatcher: agent });
    await blockedBefore.body.text();
    assert.equal(blockedBefore.statusCode, 200);

    const statuses = new Map<number, number>();
    const errors: string[] = [];
    let started = 0;
    let finished = 0;
    let reloads = 0;
    const worker = async (): Promise<void> => {
      while (started < TOTAL) {
        const i = started++;
        try {
          const res = await request(`${gw.url}/api/items/${i % 50}`, { method: i % 3 === 0 ? 'POST' : 'GET', dispatcher: agent, ...(i % 3 === 0 ? { body: `item ${i}` } : {}) });
          await res.body.text();
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        } catch (err) {
          errors.push(String((err as { code?: string }).code ?? err));
        }
        finished++;
        // Every 100 finished requests, swap A ↔ B: 20 reloads spread across the run, under load.
        if (finished % (TOTAL / RELOADS) === 0 && reloads < RELOADS) {
          reloads++;
          gw.engine.reload(policies[reloads % 2]!);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    assert.deepEqual(errors, []);
    assert.deepEqual([...statuses.entries()], [[200, TOTAL]]);
    assert.equal(reloads, RELOADS);

    // The 20th reload installed policy A (20 % 2 = 0): put B in and check it decides.
    gw.engine.reload(policies[1]!);
    const blockedAfter = await request(`${gw.url}/api/blocked`, { dispatcher: agent });
    assert.equal(blockedAfter.statusCode, 403);
    assert.deepEqual(await blockedAfter.body.json(), { error: 'forbidden' });
    gw.engine.reload(policies[0]!);
    const allowedAgain = await request(`${gw.url}/api/blocked`, { dispatcher: agent });
    await allowedAgain.body.text();
    assert.equal(allowedAgain.statusCode, 200);
    assert.equal(upstream.received.filter((r) => r.url === '/api/blocked').length, 2);
  });
});
