// Proxy correctness on real sockets: methods, targets, statuses, headers both ways, chunked bodies,
// hop-by-hop fields, X-Forwarded-*, and the record each request leaves.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { readBody, rawExchange, startGateway, startUpstream, statusOf, until } from './helpers.ts';
import type { RunningGateway, Upstream } from './helpers.ts';

const POLICY = `
rules:
  - name: api
    match: /api/**
    limit: { rate: 1000/min }
`;

describe('gateway proxying', () => {
  let upstream: Upstream;
  let gw: RunningGateway;
  const agent = new Agent({ connections: 4 });

  before(async () => {
    upstream = await startUpstream(async (req, res) => {
      const body = await readBody(req);
      const url = req.url ?? '';
      if (url.startsWith('/status/')) {
        const status = Number(url.slice('/status/'.length));
        if (status === 301) res.setHeader('location', '/moved');
        res.writeHead(status);
        res.end(status === 204 || status === 304 ? undefined : `status ${status}`);
        return;
      }
      if (url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('part one, ');
        setImmediate(() => {
          res.write('part two, ');
          setImmediate(() => res.end('end'));
        });
        return;
      }
      if (url === '/hop') {
        // Written raw so the gateway sees hop-by-hop fields exactly as a careless upstream sends them.
        res.writeHead(200, ['Connection', 'keep-alive, X-Internal', 'X-Internal', 'secret', 'Keep-Alive', 'timeout=5', 'Proxy-Connection', 'keep-alive', 'X-Kept', 'yes', 'Content-Length', '2']);
        res.end('ok');
        return;
      }
      res.setHeader('set-cookie', ['session=abc; HttpOnly', 'theme=dark']);
      res.setHeader('x-upstream', 'yes');
      res.setHeader('content-type', 'application/json');
      res.end(
        req.method === 'HEAD'
          ? undefined
          : JSON.stringify({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, body: body.toString('utf8') }),
      );
    });
    gw = await startGateway(upstream.url, POLICY);
  });

  after(async () => {
    await gw.close();
    await upstream.close();
    await agent.close();
  });

  it('passes every method on with its body, and HEAD without one', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
      const withBody = method !== 'GET' && method !== 'OPTIONS';
      const res = await request(`${gw.url}/api/things/7`, { method, dispatcher: agent, ...(withBody ? { body: `payload for ${method}` } : {}) });
      assert.equal(res.statusCode, 200, method);
      const echo = (await res.body.json()) as { method: string; url: string; body: string };
      assert.equal(echo.method, method);
      assert.equal(echo.url, '/api/things/7');
      assert.equal(echo.body, withBody ? `payload for ${method}` : '');
    }
    const head = await request(`${gw.url}/api/things/7`, { method: 'HEAD', dispatcher: agent });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['x-upstream'], 'yes');
    assert.equal((await head.body.text()).length, 0);
  });

  it('leaves the request target and its query string exactly as sent', async () => {
    const targets = ['/api/search?b=2&a=1&a=%20x&empty=&flag', '/api/a%2Fb/c;param?q=%E2%9C%93&q=+plus', '/API//double//slash/?x=1'];
    for (const target of targets) {
      const res = await request(`${gw.url}${target}`, { dispatcher: agent });
      const echo = (await res.body.json()) as { url: string };
      assert.equal(echo.url, target);
    }
  });

  it('relays every status code and does not follow redirects', async () => {
    for (const status of [200, 201, 204, 301, 304, 400, 404, 500, 503]) {
      const res = await request(`${gw.url}/status/${status}`, { dispatcher: agent });
      const text = await res.body.text();
      assert.equal(res.statusCode, status);
      assert.equal(text, status === 204 || status === 304 ? '' : `status ${status}`);
      if (status === 301) assert.equal(res.headers['location'], '/moved');
    }
  });

  it('passes request headers on and response headers back, repeated Set-Cookie fields kept apart', async () => {
    const res = await request(`${gw.url}/api/headers`, {
      dispatcher: agent,
      headers: { 'x-custom': 'one', cookie: 'a=1; b=2', 'user-agent': 'rampart-test/1', accept: 'application/json' },
    });
    assert.deepEqual(res.headers['set-cookie'], ['session=abc; HttpOnly', 'theme=dark']);
    assert.equal(res.headers['x-upstream'], 'yes');
    assert.match(String(res.headers['ratelimit-policy']), /"api"/);
    const echo = (await res.body.json()) as { headers: Record<string, string> };
    assert.equal(echo.headers['x-custom'], 'one');
    assert.equal(echo.headers['cookie'], 'a=1; b=2');
    assert.equal(echo.headers['user-agent'], 'rampart-test/1');
  });

  it('keeps the order, case and repeats of request header fields (undici writes Host itself, lower-case)', async () => {
    const raw = await rawExchange(
      gw.port,
      'GET /api/raw HTTP/1.1\r\nHost: shop.example\r\nX-B: 2\r\nx-a: 1\r\nX-Multi: first\r\nX-Multi: second\r\nConnection: close\r\n\r\n',
    );
    assert.equal(statusOf(raw.text), 200);
    const echo = JSON.parse(raw.text.slice(raw.text.indexOf('\r\n\r\n') + 4)) as { rawHeaders: string[] };
    const fields = echo.rawHeaders.filter((_, i) => i % 2 === 0 ? !['host', 'connection'].includes(echo.rawHeaders[i]!) : !['host', 'connection'].includes(echo.rawHeaders[i - 1]!));
    assert.deepEqual(fields.slice(0, 8), ['X-B', '2', 'x-a', '1', 'X-Multi', 'first', 'X-Multi', 'second']);
    assert.equal(echo.rawHeaders[echo.rawHeaders.indexOf('host') + 1], 'shop.example');
  });

  it('streams chunked bodies both ways', async () => {
    const seen = upstream.received.length;
    async function* parts(): AsyncGenerator<Buffer> {
      yield Buffer.from('chunk-0;');
      // The rest only once the upstream has the head: the gateway is streaming, not collecting.
      await until(() => upstream.received.length > seen, 'the upstream to receive the head');
      for (let i = 1; i < 5; i++) yield Buffer.from(`chunk-${i};`);
    }
    const res = await request(`${gw.url}/api/upload`, { method: 'POST', body: Readable.from(parts()), dispatcher: agent });
    const echo = (await res.body.json()) as { headers: Record<string, string>; body: string };
    assert.equal(echo.body, 'chunk-0;chunk-1;chunk-2;chunk-3;chunk-4;');
    assert.equal(echo.headers['transfer-encoding'], 'chunked');
    assert.equal(echo.headers['content-length'], undefined);

    const down = await rawExchange(gw.port, 'GET /chunked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(down.text, /\r\nTransfer-Encoding: chunked\r\n/i);
    const chunked = await request(`${gw.url}/chunked`, { dispatcher: agent });
    assert.equal(await chunked.body.text(), 'part one, part two, end');
  });

  it('drops hop-by-hop fields and the fields Connection names, in both directions', async () => {
    const raw = await rawExchange(
      gw.port,
      'GET /api/hop HTTP/1.1\r\nHost: x\r\nConnection: close, X-Hop\r\nX-Hop: drop me\r\nKeep-Alive: timeout=9\r\nTE: trailers\r\n' +
        'Proxy-Connection: keep-alive\r\nTrailer: X-Sum\r\nUpgrade: h2c\r\nX-Stay: 1\r\n\r\n',
    );
    assert.equal(statusOf(raw.text), 200);
    const echo = JSON.parse(raw.text.slice(raw.text.indexOf('\r\n\r\n') + 4)) as { headers: Record<string, string> };
    for (const name of ['x-hop', 'keep-alive', 'te', 'proxy-connection', 'trailer', 'upgrade']) assert.equal(echo.headers[name], undefined, name);
    assert.equal(echo.headers['x-stay'], '1');
    assert.notEqual(echo.headers['connection'], 'close, X-Hop');

    const back = await rawExchange(gw.port, 'GET /hop HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const head = back.text.slice(0, back.text.indexOf('\r\n\r\n')).toLowerCase();
    assert.equal(statusOf(back.text), 200);
    assert.doesNotMatch(head, /x-internal/);
    assert.doesNotMatch(head, /proxy-connection/);
    assert.doesNotMatch(head, /keep-alive: timeout=5/);
    assert.match(head, /\r\nx-kept: yes/);
    assert.match(head, /\r\nconnection: close/);
  });

  it('keeps Host as sent and sets X-Forwarded-For, -Proto and -Host, replacing what an untrusted client sent', async () => {
    const raw = await rawExchange(
      gw.port,
      'GET /api/fwd HTTP/1.1\r\nHost: api.example.com:8443\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\nConnection: close\r\n\r\n',
    );
    const echo = JSON.parse(raw.text.slice(raw.text.indexOf('\r\n\r\n') + 4)) as { headers: Record<string, string> };
    assert.equal(echo.headers['host'], 'api.example.com:8443');
    assert.equal(echo.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(echo.headers['x-forwarded-proto'], 'http');
    assert.equal(echo.headers['x-forwarded-host'], 'api.example.com:8443');
  });

  it('reports one record per request, with the route, statuses and timings', async () => {
    const before = gw.records.length;
    const res = await request(`${gw.url}/api/records/1`, { dispatcher: agent });
    await res.body.text();
    await until(() => gw.records.length === before + 1, 'the record');
    const record = gw.records[before]!;
    assert.equal(record.status, 200);
    assert.equal(record.upstreamStatus, 200);
    assert.equal(record.upstreamFailure, null);
    assert.equal(record.route, '/api/**');
    assert.equal(record.decision.action, 'allow');
    assert.ok(record.decisionSeconds >= 0 && record.decisionSeconds < 60);
    assert.ok(record.upstreamSeconds !== null && record.upstreamSeconds >= 0);
    assert.ok(Math.abs(record.startedAt - Date.now()) < 60_000);
  });
});

describe('gateway behind a trusted proxy', () => {
  let upstream: Upstream;
  let gw: RunningGateway;

  before(async () => {
    upstream = await startUpstream((req, res) => res.end(JSON.stringify(req.headers)));
    gw = await startGateway(upstream.url, 'client_ip: { trusted_proxies: [loopback] }\n');
  });

  after(async () => {
    await gw.close();
    await upstream.close();
  });

  it('appends the peer to a trusted proxy\'s X-Forwarded-For and keeps its -Proto and -Host', async () => {
    const raw = await rawExchange(
      gw.port,
      'GET /x HTTP/1.1\r\nHost: internal:8080\r\nX-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: shop.example\r\nConnection: close\r\n\r\n',
    );
    const headers = JSON.parse(raw.text.slice(raw.text.indexOf('\r\n\r\n') + 4)) as Record<string, string>;
    assert.equal(headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
    assert.equal(headers['x-forwarded-proto'], 'https');
    assert.equal(headers['x-forwarded-host'], 'shop.example');
    assert.equal(headers['host'], 'internal:8080');
  });
});
