import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, it } from 'node:test';
import type { Logger } from '../logger.ts';
import { createAdminServer } from './admin-server.ts';
import type { AdminServer, AdminServerOptions } from './admin-server.ts';

const servers: AdminServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const metrics = { render: () => Promise.resolve('rampart_requests_total 1\n'), contentType: 'text/plain; version=0.0.4; charset=utf-8' };

async function start(options: Partial<AdminServerOptions> = {}): Promise<string> {
  const admin = createAdminServer({ host: '127.0.0.1', port: 0, metrics, ready: () => true, ...options });
  servers.push(admin);
  return (await admin.listen()).url;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on a fresh connection (no keep-alive pool shared between tests); the path is sent as written. */
function call(url: string, method = 'GET'): Promise<Answer> {
  const { hostname, port } = new URL(url);
  const path = url.slice(url.indexOf('/', 'http://'.length)) || '/';
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method, agent: false, timeout: 20_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('admin server', { timeout: 30_000 }, () => {
  it('binds an ephemeral port on 127.0.0.1 and reports the bound address', async () => {
    const admin = createAdminServer({ host: '127.0.0.1', port: 0, metrics: null, ready: () => true });
    servers.push(admin);
    const address = await admin.listen();
    assert.equal(address.host, '127.0.0.1');
    assert.ok(address.port > 0);
    assert.equal(address.url, `http://127.0.0.1:${address.port}`);
  });

  it('answers /health with 200 ok', async () => {
    const url = await start();
    const res = await call(url + '/health');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(res.body), { status: 'ok' });
  });

  it('answers /ready with 503 until ready() turns true, then 200', async () => {
    let ready = false;
    const url = await start({ ready: () => ready });
    const before = await call(url + '/ready');
    assert.equal(before.status, 503);
    assert.deepEqual(JSON.parse(before.body), { status: 'starting' });
    ready = true;
    const afterReady = await call(url + '/ready');
    assert.equal(afterReady.status, 200);
    assert.deepEqual(JSON.parse(afterReady.body), { status: 'ready' });
  });

  it('serves the metrics text with their content type, query string or not', async () => {
    const url = await start();
    for (const path of ['/metrics', '/metrics?name[]=x']) {
      const res = await call(url + path);
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], metrics.contentType);
      assert.equal(res.body, 'rampart_requests_total 1\n');
    }
  });

  it('answers /metrics with 404 when metrics are off', async () => {
    const url = await start({ metrics: null });
    assert.equal((await call(url + '/metrics')).status, 404);
  });

  it('answers 500 and logs when rendering the metrics fails', async () => {
    const errors: object[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (obj) => errors.push(obj) };
    const url = await start({ metrics: { render: () => Promise.reject(new Error('boom')), contentType: 'text/plain' }, logger });
    assert.equal((await call(url + '/metrics')).status, 500);
    assert.equal(errors.length, 1);
  });

  it('answers 404 for any other path', async () => {
    const url = await start();
    for (const path of ['/', '/healthz', '/health/', '/health/x', '/admin', '/x/../health', '/%2e%2e/health']) assert.equal((await call(url + path)).status, 404, path);
  });

  it('answers 405 with Allow for other methods', async () => {
    const url = await start();
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const res = await call(url + '/health', method);
      assert.equal(res.status, 405, method);
      assert.equal(res.headers['allow'], 'GET, HEAD');
    }
  });

  it('answers HEAD like GET without a body', async () => {
    const url = await start();
    const res = await call(url + '/health', 'HEAD');
    assert.equal(res.status, 200);
    assert.equal(res.body, '');
  });

  it('rejects listen() when the port is taken', async () => {
    const first = createAdminServer({ host: '127.0.0.1', port: 0, metrics: null, ready: () => true });
    servers.push(first);
    const { port } = await first.listen();
    const second = createAdminServer({ host: '127.0.0.1', port, metrics: null, ready: () => true });
    await assert.rejects(second.listen(), (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE');
  });

  it('closes while a keep-alive client still holds a connection, and closes twice', async () => {
    const admin = createAdminServer({ host: '127.0.0.1', port: 0, metrics, ready: () => true });
    const { url } = await admin.listen();
    const res = await fetch(url + '/metrics'); // global fetch keeps the connection alive
    assert.equal(await res.text(), 'rampart_requests_total 1\n');
    await admin.close();
    await admin.close();
    await assert.rejects(call(url + '/health'));
  });
});
