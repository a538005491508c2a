// Abuse of the gateway itself, on raw sockets: header floods and oversized heads (431), malformed
// framing (400, never forwarded), slow-loris heads (timed out), spoofed X-Forwarded-For (ignored),
// WebSocket upgrades (501). After all of it the gateway still serves.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { rawExchange, startGateway, startUpstream, statusOf, until } from './helpers.ts';
import type { RunningGateway, Upstream } from './helpers.ts';

const POLICY = `
rules:
  - name: per-ip
    match: /limited
    key: ip
    limit: { rate: 3/min }
`;

function headFields(count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += `X-Field-${i}: v\r\n`;
  return out;
}

describe('gateway abuse', () => {
  let upstream: Upstream;
  let gw: RunningGateway;

  before(async () => {
    upstream = await startUpstream((req, res) => res.end(JSON.stringify({ url: req.url, xff: req.headers['x-forwarded-for'] })));
    gw = await startGateway(upstream.url, POLICY, { timeouts: { headers: '300ms', request: '5s' }, limits: { max_headers: 20 } });
  });

  after(async () => {
    await gw.close();
    await upstream.close();
  });

  it('answers 431 to more header fields than limits.max_headers, and passes exactly that many', async () => {
    const flood = await rawExchange(gw.port, `GET /a HTTP/1.1\r\nHost: x\r\n${headFields(200)}\r\n`);
    assert.equal(statusOf(flood.text), 431);
    assert.match(flood.text, /\{"error":"request_header_fields_too_large"\}$/);
    assert.ok(flood.closed);

    const seen = upstream.received.length;
    // Host + Connection + 18 = 20 fields: allowed. One more: refused.
    const atLimit = await rawExchange(gw.port, `GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headFields(18)}\r\n`);
    assert.equal(statusOf(atLimit.text), 200);
    const overLimit = await rawExchange(gw.port, `GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headFields(19)}\r\n`);
    assert.equal(statusOf(overLimit.text), 431);
    assert.equal(upstream.received.length, seen + 1);
  });

  it('answers 431 to a 64 KB header', async () => {
    const big = await rawExchange(gw.port, `GET /a HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    assert.equal(statusOf(big.text), 431);
    assert.ok(big.closed);
  });

  it('answers 400 to bad Content-Length framing and never forwards it', async () => {
    const seen = upstream.received.length;
    const cases = [
      'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\nabc',
      'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
      'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
      'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      'POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
    ];
    for (const text of cases) {
      const res = await rawExchange(gw.port, text);
      assert.equal(statusOf(res.text), 400, text);
      assert.match(res.text, /\{"error":"bad_request"\}$/);
      assert.ok(res.closed);
    }
    assert.equal(upstream.received.length, seen);
  });

  it('answers 400 to a duplicate Host, an asterisk target and garbage, without forwarding', async () => {
    const seen = upstream.received.length;
    const dupHost = await rawExchange(gw.port, 'GET /a HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(dupHost.text), 400);
    const asterisk = await rawExchange(gw.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(asterisk.text), 400);
    const garbage = await rawExchange(gw.port, '\u0001\u0002 not http at all\r\n\r\n');
    assert.equal(statusOf(garbage.text), 400);
    assert.equal(upstream.received.length, seen);
  });

  it('closes the connection of a slow-loris client that never finishes its head', async () => {
    const socket = connect(gw.port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', () => {});
    socket.write('GET /a HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    // It never sends more; the gateway must not wait for ever.
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    assert.equal(statusOf(received), 408);
    assert.match(received, /\{"error":"request_timeout"\}$/);
  });

  it('answers 501 to a WebSocket upgrade', async () => {
    const res = await rawExchange(gw.port, 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n', /not_implemented"\}$/);
    assert.equal(statusOf(res.text), 501);
  });

  it('ignores a spoofed X-Forwarded-For from an untrusted peer: the per-IP limit still applies and the upstream sees the peer', async () => {
    const statuses: number[] = [];
    const forwardedFor: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await rawExchange(gw.port, `GET /limited HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.${i}\r\nConnection: close\r\n\r\n`);
      statuses.push(statusOf(res.text));
      if (statusOf(res.text) === 200) forwardedFor.push((JSON.parse(res.text.slice(res.text.indexOf('\r\n\r\n') + 4)) as { xff: string }).xff);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.deepEqual(forwardedFor, ['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    await until(() => gw.records.some((r) => r.status === 429), 'the records');
    assert.ok(gw.records.filter((r) => r.status === 429).every((r) => r.decision.context.clientIp === '127.0.0.1'));
  });

  it('records the requests it refused itself with a gateway reason', async () => {
    await until(() => gw.records.some((r) => r.status === 501), 'the 501 record');
    const refused = gw.records.filter((r) => r.decision.reasons.some((reason) => reason.startsWith('gateway:')));
    assert.ok(refused.some((r) => r.status === 400 && r.decision.reasons[0] === 'gateway:bad_request'));
    assert.ok(refused.some((r) => r.status === 501 && r.decision.reasons[0] === 'gateway:upgrade_not_supported'));
    assert.ok(refused.every((r) => r.decision.action === 'deny' && r.upstreamStatus === null));
  });

  it('still serves normal requests after all of that', async () => {
    const res = await rawExchange(gw.port, 'GET /fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(res.text), 200);
  });
});
