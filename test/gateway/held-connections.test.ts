// Regression: clients must not be able to hold the gateway's upstream connections hostage.
// - Requests queued for a pooled connection were not bounded by timeouts.upstream (undici starts its
//   timer only once a request is written), so a full pool made new requests wait forever.
// - A client that stops reading a response kept its upstream connection (undici pauses its body
//   timer under backpressure) for as long as it liked.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { startGateway, startUpstream, until } from './helpers.ts';

const running: { close(): Promise<void> }[] = [];
const agent = new Agent();
after(async () => {
  for (const r of running.reverse()) await r.close();
  await agent.close();
});

describe('held upstream connections', () => {
  it('answers 504 to a request still queued for a connection after timeouts.upstream', { timeout: 30_000 }, async () => {
    const upstream = await startUpstream((req, res) => {
      if (req.url === '/hang') return; // holds the only pooled connection
      res.end('ok');
    });
    running.push(upstream);
    const gw = await startGateway(upstream.url, 'rules: []\n', { upstream_connections: 1, timeouts: { upstream: '500ms' } });
    running.push(gw);
    const hung = request(`${gw.url}/hang`, { dispatcher: agent });
    const queued = await request(`${gw.url}/queued`, { dispatcher: agent });
    assert.equal(queued.statusCode, 504);
    assert.deepEqual(await queued.body.json(), { error: 'gateway_timeout' });
    assert.equal((await hung).statusCode, 504);
    // The pool recovers: once the hung exchange is aborted, a new request is served.
    const later = await request(`${gw.url}/fine`, { dispatcher: agent });
    assert.equal(later.statusCode, 200);
    assert.equal(await later.body.text(), 'ok');
  });

  it('cuts a client that stops reading, freeing the upstream connection for others', { timeout: 30_000 }, async () => {
    const chunk = Buffer.alloc(64 * 1024, 120);
    const upstream = await startUpstream((req, res) => {
      if (req.url !== '/big') return void res.end('ok');
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // Far more than socket buffers hold, written as fast as the reader allows.
      let sent = 0;
      const pump = (): void => {
        while (sent < 64 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    running.push(upstream);
    const gw = await startGateway(upstream.url, 'rules: []\n', { upstream_connections: 1, timeouts: { upstream: '500ms' } });
    running.push(gw);
    const port = Number(new URL(gw.url).port);
    const slow = connect(port, '127.0.0.1');
    slow.write('GET /big HTTP/1.1\r\nhost: x\r\n\r\n');
    slow.pause(); // never reads: the gateway's writes back up (and, paused, it never sees the close)
    slow.on('error', () => {});
    await until(() => gw.records.length === 1, 'the stalled exchange to be cut off');
    assert.equal(gw.records[0]!.upstreamFailure, 'aborted');
    const other = await request(`${gw.url}/small`, { dispatcher: agent });
    assert.equal(other.statusCode, 200);
    assert.equal(await other.body.text(), 'ok');
    slow.destroy();
  });
});
