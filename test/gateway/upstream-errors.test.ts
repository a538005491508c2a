// When the upstream fails: down → 502, too slow → 504, reset mid-body → the client's connection is cut,
// and a client that leaves takes its upstream request with it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { after, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { closedPort, startGateway, startUpstream, until } from './helpers.ts';
import type { RunningGateway, Upstream } from './helpers.ts';

const running: { close(): Promise<void> }[] = [];
const agent = new Agent();
after(async () => {
  for (const r of running.reverse()) await r.close();
  await agent.close();
});

async function gatewayFor(upstreamUrl: string, gateway: Record<string, unknown> = {}): Promise<RunningGateway> {
  const gw = await startGateway(upstreamUrl, 'rules: []\n', gateway);
  running.push(gw);
  return gw;
}

async function upstreamWith(handler: Parameters<typeof startUpstream>[0]): Promise<Upstream> {
  const upstream = await startUpstream(handler);
  running.push(upstream);
  return upstream;
}

describe('upstream failures', () => {
  it('answers 502 bad_gateway when nothing listens upstream', async () => {
    const gw = await gatewayFor(`http://127.0.0.1:${await closedPort()}`);
    const res = await request(`${gw.url}/anything`, { dispatcher: agent });
    assert.equal(res.statusCode, 502);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(await res.body.json(), { error: 'bad_gateway' });
    await until(() => gw.records.length === 1, 'the record');
    assert.equal(gw.records[0]!.status, 502);
    assert.equal(gw.records[0]!.upstreamStatus, null);
    assert.equal(gw.records[0]!.upstreamFailure, 'unreachable');
  });

  it('answers 504 gateway_timeout when the upstream sends no head within timeouts.upstream', async () => {
    const upstream = await upstreamWith(() => {}); // never answers
    const gw = await gatewayFor(upstream.url, { timeouts: { upstream: '300ms' } });
    const res = await request(`${gw.url}/slow`, { dispatcher: agent });
    assert.equal(res.statusCode, 504);
    assert.deepEqual(await res.body.json(), { error: 'gateway_timeout' });
    await until(() => gw.records.length === 1, 'the record');
    assert.equal(gw.records[0]!.upstreamFailure, 'timeout');
  });

  it('answers 502 when the upstream resets the connection before its head', async () => {
    const upstream = await upstreamWith((req) => req.socket.destroy());
    const gw = await gatewayFor(upstream.url);
    const res = await request(`${gw.url}/reset`, { dispatcher: agent });
    assert.equal(res.statusCode, 502);
    assert.deepEqual(await res.body.json(), { error: 'bad_gateway' });
    await until(() => gw.records.length === 1, 'the record');
    assert.equal(gw.records[0]!.upstreamFailure, 'error');
  });

  it('cuts the client connection when the upstream fails in the middle of the body', async () => {
    const upstream = await upstreamWith((req, res) => {
      res.writeHead(200, { 'content-length': '1000000' });
      res.write(Buffer.alloc(1000, 1), () => setImmediate(() => req.socket.destroy()));
    });
    const gw = await gatewayFor(upstream.url);
    const res = await request(`${gw.url}/partial`, { dispatcher: agent });
    assert.equal(res.statusCode, 200);
    await assert.rejects(res.body.arrayBuffer());
    await until(() => gw.records.length === 1, 'the record');
    assert.equal(gw.records[0]!.upstreamStatus, 200);
    assert.equal(gw.records[0]!.upstreamFailure, 'error');
  });

  it('aborts the upstream request when the client goes away, and records 499', async () => {
    let upstreamRes: ServerResponse | null = null;
    const upstream = await upstreamWith((_req, res) => {
      upstreamRes = res; // holds the request open
    });
    const gw = await gatewayFor(upstream.url);
    const controller = new AbortController();
    const pending = request(`${gw.url}/hang`, { dispatcher: agent, signal: controller.signal });
    await until(() => upstreamRes !== null, 'the upstream to receive the request');
    const upstreamClosed = once(upstreamRes!, 'close');
    controller.abort();
    await assert.rejects(pending);
    await upstreamClosed; // the gateway gave up its upstream request
    assert.equal(upstreamRes!.writableFinished, false);
    await until(() => gw.records.length === 1, 'the record');
    assert.equal(gw.records[0]!.status, 499);
    assert.equal(gw.records[0]!.upstreamFailure, 'aborted');
  });

  it('keeps serving after upstream failures', async () => {
    const upstream = await upstreamWith((_req, res) => res.end('fine'));
    const gw = await gatewayFor(upstream.url);
    const res = await request(`${gw.url}/ok`, { dispatcher: agent });
    assert.equal(await res.body.text(), 'fine');
  });
});
