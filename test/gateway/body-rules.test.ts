// Routes whose rules read a JSON body field: the body is read (bounded by limits.max_body_bytes, 413
// past it), forwarded byte for byte, and the limit counts per body field. Other bodies stream unread.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { rawExchange, readBody, startGateway, startUpstream, statusOf } from './helpers.ts';
import type { RunningGateway, Upstream } from './helpers.ts';

const POLICY = `
rules:
  - name: login-per-user
    match: POST /login
    key: body:username
    limit: { rate: 2/min }
`;

describe('body-reading rules', () => {
  let upstream: Upstream;
  let gw: RunningGateway;
  const bodies: Buffer[] = [];
  const agent = new Agent();

  before(async () => {
    upstream = await startUpstream(async (req, res) => {
      const body = await readBody(req);
      bodies.push(body);
      res.end(JSON.stringify({ length: body.length, contentLength: req.headers['content-length'] ?? null }));
    });
    gw = await startGateway(upstream.url, POLICY, { limits: { max_body_bytes: 1024 } });
  });

  after(async () => {
    await gw.close();
    await upstream.close();
    await agent.close();
  });

  const login = (body: string | Buffer | AsyncIterable<Buffer>, contentType = 'application/json') =>
    request(`${gw.url}/login`, { method: 'POST', body: typeof body === 'string' || Buffer.isBuffer(body) ? body : Readable.from(body), headers: { 'content-type': contentType }, dispatcher: agent });

  it('refuses a JSON body over max_body_bytes with 413, declared or chunked, without forwarding it', async () => {
    const seen = upstream.received.length;
    const big = JSON.stringify({ username: 'alice', padding: 'x'.repeat(2048) });
    const declared = await login(big);
    assert.equal(declared.statusCode, 413);
    assert.deepEqual(await declared.body.json(), { error: 'payload_too_large' });

    async function* chunks(): AsyncGenerator<Buffer> {
      for (let i = 0; i < big.length; i += 256) yield Buffer.from(big.slice(i, i + 256));
    }
    const chunked = await login(chunks());
    assert.equal(chunked.statusCode, 413);
    await chunked.body.text();
    assert.equal(upstream.received.length, seen);
    assert.ok(gw.records.some((r) => r.status === 413 && r.decision.reasons[0] === 'gateway:payload_too_large'));
  });

  it('forwards a small JSON body byte for byte', async () => {
    const exact = Buffer.from('{ "username" : "bob",\n  "password": "p\u00e4ss\u2713", "n": 1.50 }  ', 'utf8');
    const before = bodies.length;
    const res = await login(exact);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await res.body.json(), { length: exact.length, contentLength: String(exact.length) });
    assert.ok(bodies[before]!.equals(exact));

    // Chunked on the way in: the gateway forwards the same bytes with their length.
    async function* parts(): AsyncGenerator<Buffer> {
      yield exact.subarray(0, 10);
      yield exact.subarray(10);
    }
    const chunked = await login(parts());
    assert.equal(chunked.statusCode, 200);
    await chunked.body.text();
    assert.ok(bodies[before + 1]!.equals(exact));
  });

  it('applies the limit per username', async () => {
    const statuses = async (username: string, n: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const res = await login(JSON.stringify({ username, password: 'x' }));
        await res.body.text();
        out.push(res.statusCode);
      }
      return out;
    };
    assert.deepEqual(await statuses('carol', 3), [200, 200, 429]);
    assert.deepEqual(await statuses('dave', 2), [200, 200]);
  });

  it('lets a body that is not valid JSON through', async () => {
    const res = await login('{not json');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await res.body.json(), { length: 9, contentLength: '9' });
  });

  it('streams a non-JSON body on the same route without a size limit', async () => {
    const text = 'u'.repeat(4096);
    const res = await login(text, 'text/plain');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await res.body.json(), { length: 4096, contentLength: '4096' });
  });

  it('keeps the connection after a small refused body and closes it after an unread large one', async () => {
    const small = JSON.stringify({ username: 'erin', pad: 'y'.repeat(1500) });
    const twice = await rawExchange(
      gw.port,
      `POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${small.length}\r\n\r\n${small}` +
        'GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.equal(statusOf(twice.text), 413);
    assert.equal(twice.text.match(/HTTP\/1\.1 \d{3}/g)!.join(' '), 'HTTP/1.1 413 HTTP/1.1 200');

    const huge = await rawExchange(gw.port, 'POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{"username":');
    assert.equal(statusOf(huge.text), 413);
    assert.match(huge.text, /\r\nConnection: close\r\n/i);
    assert.ok(huge.closed);
  });
});
