// Graceful shutdown: in-flight requests finish while close() is awaited, new connections are refused
// from the moment close() starts, and requests past timeouts.shutdown are cut so close() still ends.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { startGateway, startUpstream, until } from './helpers.ts';
import type { Upstream } from './helpers.ts';

function connectError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

describe('graceful shutdown', () => {
  const upstreams: Upstream[] = [];
  const agent = new Agent();
  after(async () => {
    for (const u of upstreams) await u.close();
    await agent.close();
  });

  it('finishes a slow in-flight request while close() is awaited and refuses new connections', async () => {
    // The upstream answers /slow only after 500 ms, so the request is in flight when close() starts.
    const upstream = await startUpstream((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('slow done'), 500);
      else res.end('quick');
    });
    upstreams.push(upstream);
    const gw = await startGateway(upstream.url, 'rules: []\n', { timeouts: { shutdown: '20s' } });

    // A kept-alive idle connection must not hold shutdown up.
    await (await request(`${gw.url}/warm`, { dispatcher: agent })).body.text();

    const slow = request(`${gw.url}/slow`, { dispatcher: agent });
    await until(() => upstream.received.some((r) => r.url === '/slow'), 'the slow request to reach the upstream');
    assert.equal(gw.gateway.inFlight(), 1);

    const closing = gw.close();
    assert.equal(await connectError(gw.port), 'ECONNREFUSED');

    const res = await slow;
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['connection'], 'close');
    assert.equal(await res.body.text(), 'slow done');
    await closing;
    assert.equal(gw.gateway.inFlight(), 0);
    assert.equal(gw.gateway.server.listening, false);
  });

  it('cuts requests still running at the shutdown deadline', { timeout: 30_000 }, async () => {
    const upstream = await startUpstream(() => {}); // never answers
    upstreams.push(upstream);
    const gw = await startGateway(upstream.url, 'rules: []\n', { timeouts: { shutdown: '200ms' } });
    const hanging = request(`${gw.url}/hang`, { dispatcher: agent }).then(
      () => 'answered',
      (err: { code?: string }) => err.code,
    );
    await until(() => upstream.received.length === 1, 'the request to reach the upstream');
    await gw.close();
    assert.equal(await hanging, 'UND_ERR_SOCKET');
    assert.equal(gw.gateway.inFlight(), 0);
    await until(() => gw.records.length === 1, 'the record');
    assert.equal(gw.records[0]!.status, 499);
  });

  it('closes every observer once, however often close() is called', async () => {
    const upstream = await startUpstream((_req, res) => res.end('x'));
    upstreams.push(upstream);
    let closes = 0;
    const gw = await startGateway(upstream.url, 'rules: []\n', {}, [{ onRequest() {}, close: async () => void closes++ }]);
    await Promise.all([gw.close(), gw.close()]);
    await gw.close();
    assert.equal(closes, 1);
    assert.equal(gw.gateway.server.listening, false);
  });
});
