// limits.max_buffered_bytes: bodies read for body rules share one memory budget. A request that
// would pass it gets 503; the budget is given back when an exchange ends.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { readBody, startGateway, startUpstream, until } from './helpers.ts';

const running: { close(): Promise<void> }[] = [];
const agent = new Agent();
after(async () => {
  for (const r of running.reverse()) await r.close();
  await agent.close();
});

const RULES = `
rules:
  - { name: per-user, match: POST /login, key: body:username, limit: { rate: 100/min } }
`;

describe('buffered body budget', () => {
  it('answers 503 when bodies held at once would pass max_buffered_bytes, and recovers', { timeout: 30_000 }, async () => {
    const upstream = await startUpstream(async (req, res) => {
      await readBody(req);
      res.end('ok');
    });
    running.push(upstream);
    const gw = await startGateway(upstream.url, RULES, { limits: { max_body_bytes: 1_048_576, max_buffered_bytes: 1_048_576 } });
    running.push(gw);
    const port = Number(new URL(gw.url).port);

    // A client declares a 1,000,000-byte body and sends only part of it: its reservation is held.
    const body = `{"username":"alice","pad":"${'x'.repeat(1_000_000 - 29)}"}`;
    assert.equal(Buffer.byteLength(body), 1_000_000);
    const slow = connect(port, '127.0.0.1');
    slow.on('error', () => {});
    let answer = '';
    slow.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    slow.write(`POST /login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n${body.slice(0, 1000)}`);
    // Give the gateway time to start reading it (the reservation is made before the first byte is read).
    await new Promise((r) => setTimeout(r, 300));

    const small = JSON.stringify({ username: 'bob', pad: 'y'.repeat(100_000) });
    const refused = await request(`${gw.url}/login`, { method: 'POST', body: small, headers: { 'content-type': 'application/json' }, dispatcher: agent });
    assert.equal(refused.statusCode, 503);
    assert.deepEqual(await refused.body.json(), { error: 'unavailable' });

    // The slow client finishes: it is served, and its reservation is given back.
    slow.write(body.slice(1000));
    await until(() => answer.length > 0, 'the slow upload to be answered', 10_000);
    assert.match(answer, /^HTTP\/1.1 200/, answer.slice(0, 300));
    slow.destroy();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      const res = await request(`${gw.url}/login`, { method: 'POST', body: small, headers: { 'content-type': 'application/json' }, dispatcher: agent });
      status = res.statusCode;
      await res.body.text();
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 200);
  });
});
