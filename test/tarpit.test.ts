// The tarpit through the gateway: held requests are forwarded after the delay; past max_concurrent,
// tarpitted requests are answered at once (429) and unrelated traffic is served while every slot is
// held; a client that leaves frees its slot.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { startGateway, startUpstream, until } from './gateway/helpers.ts';

const running: { close(): Promise<void> }[] = [];
after(async () => {
  for (const r of running.reverse()) await r.close();
});

const rules = (tarpit: string): string => `
tarpit: ${tarpit}
rules:
  - name: bots
    when: [{ header: { name: x-bot, present: true } }]
    action: tarpit
`;

describe('tarpit through the gateway', () => {
  it('forwards a tarpitted request after the delay', { timeout: 30_000 }, async () => {
    const upstream = await startUpstream((_req, res) => res.end('ok'));
    running.push(upstream);
    const gw = await startGateway(upstream.url, rules('{ delay: 200ms, max_concurrent: 2 }'));
    running.push(gw);
    const res = await request(`${gw.url}/item`, { headers: { 'x-bot': '1' } });
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'ok');
    await until(() => gw.records.length === 1, 'the record');
    assert.equal(gw.records[0]!.decision.action, 'tarpit');
  });

  it('holds at most max_concurrent, answers the rest 429 at once, and keeps serving other clients', { timeout: 30_000 }, async () => {
    let forwarded = 0;
    const upstream = await startUpstream((_req, res) => {
      forwarded++;
      res.end('ok');
    });
    running.push(upstream);
    const gw = await startGateway(upstream.url, rules('{ delay: 60s, max_concurrent: 3 }'));
    running.push(gw);
    const bots = new Agent({ connections: 50 });
    const controller = new AbortController();
    const attempts = Array.from({ length: 20 }, () =>
      request(`${gw.url}/item`, { headers: { 'x-bot': '1' }, dispatcher: bots, signal: controller.signal }).then(
        async (r) => ({ status: r.statusCode, retryAfter: r.headers['retry-after'], body: await r.body.text() }),
        () => ({ status: 0, retryAfter: undefined, body: '' }),
      ),
    );
    await until(() => gw.engine.tarpit.stats().held === 3 && gw.engine.tarpit.stats().overflowed === 17, 'three held, seventeen turned away');
    // Every slot is taken: unrelated traffic is served all the same, while the held requests still wait.
    for (let i = 0; i < 20; i++) {
      const res = await request(`${gw.url}/item`);
      assert.equal(res.statusCode, 200);
      await res.body.text();
    }
    assert.equal(gw.engine.tarpit.stats().held, 3);
    assert.equal(forwarded, 20);
    // Clients that leave free their slots at once.
    controller.abort();
    const results = await Promise.all(attempts);
    assert.equal(results.filter((r) => r.status === 429).length, 17);
    assert.ok(results.filter((r) => r.status === 429).every((r) => r.retryAfter === '1' && r.body === '{"error":"too_many_requests"}'));
    assert.equal(results.filter((r) => r.status === 0).length, 3);
    await until(() => gw.engine.tarpit.stats().held === 0, 'slots freed');
    assert.equal(forwarded, 20, 'abandoned tarpit requests never reach the upstream');
    await bots.close();
  });
});
