// Every adapter, on a real server on 127.0.0.1: throttles with headers after the limit, denies with 403,
// counts only failed responses where the rule says so, lets everything through in monitor mode
// while logging what it would have done, serves challenges that rampart/client solves, and holds
// tarpitted requests up to the cap.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { rampart as expressRampart } from '../src/adapters/express.ts';
import { rampart as fastifyRampart } from '../src/adapters/fastify.ts';
import { rampart as honoRampart } from '../src/adapters/hono.ts';
import { rampart as nodeRampart } from '../src/adapters/node.ts';
import { withRampart } from '../src/client/index.ts';
import type { AdapterOptions } from '../src/adapters/engine-from-options.ts';
import type { Logger } from '../src/logger.ts';
import { silentLogger } from '../src/logger.ts';
import { parsePolicy } from '../src/policy/load-policy.ts';

const POLICY = `
rules:
  - name: login-failures
    match: POST /login
    limit: { rate: 2/min, count: { status: [401] } }
  - name: api
    match: GET /api/**
    limit: { rate: 3/min }
  - name: no-admin
    match: /admin/**
    action: deny
`;

interface Running {
  url: string;
  close(): Promise<void>;
}

type Starter = (options: AdapterOptions) => Promise<Running>;

/** The application behind each adapter: a login that fails unless `x-password: right`, an API, an admin page. */
function loginStatus(password: string | string[] | undefined): number {
  return password === 'right' ? 200 : 401;
}

function listening(server: import('node:http').Server): Promise<Running> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

const starters: Record<string, Starter> = {
  node: async (options) => {
    const guard = nodeRampart(options);
    return listening(
      createServer(async (req, res) => {
        if (!(await guard(req, res))) return;
        const status = req.url === '/login' ? loginStatus(req.headers['x-password']) : 200;
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end('ok');
      }),
    );
  },
  express: async (options) => {
    const app = express();
    app.use(expressRampart(options));
    app.post('/login', (req, res) => void res.status(loginStatus(req.headers['x-password'])).send('ok'));
    app.get('/api/items', (_req, res) => void res.send('ok'));
    app.get('/admin/panel', (_req, res) => void res.send('ok'));
    return listening(createServer(app));
  },
  fastify: async (options) => {
    const app = Fastify();
    await app.register(fastifyRampart, options);
    app.post('/login', async (req, reply) => reply.code(loginStatus(req.headers['x-password'])).send('ok'));
    app.get('/api/items', async () => 'ok');
    app.get('/admin/panel', async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
  },
  hono: async (options) => {
    const app = new Hono();
    app.use(honoRampart(options));
    app.post('/login', (c) => c.text('ok', loginStatus(c.req.header('x-password')) as 200));
    app.get('/api/items', (c) => c.text('ok'));
    app.get('/admin/panel', (c) => c.text('ok'));
    return new Promise((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
        resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise((r) => server.close(() => r())) });
      });
    });
  },
};

async function hit(base: string, method: string, path: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(base + path, { method, headers });
  await res.arrayBuffer();
  return res;
}

for (const [name, start] of Object.entries(starters)) {
  describe(`adapter: ${name}`, () => {
    const servers: Running[] = [];
    after(async () => {
      for (const s of servers) await s.close();
    });
    const boot = async (yaml: string, logger: Logger = silentLogger): Promise<string> => {
      const s = await start({ policy: parsePolicy(yaml), logger });
      servers.push(s);
      return s.url;
    };

    it('answers 429 with Retry-After and RateLimit headers after the limit', async () => {
      const base = await boot(POLICY);
      const statuses = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await hit(base, 'GET', '/api/items');
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      assert.ok(Number(last!.headers.get('retry-after')) >= 1);
      assert.equal(last!.headers.get('ratelimit-policy'), '"api";q=3;w=60');
      assert.match(last!.headers.get('ratelimit') ?? '', /^"api";r=0;t=\d+$/);
      assert.deepEqual(JSON.parse(await (await fetch(base + '/api/items')).text()), { error: 'too_many_requests' });
    });

    it('sends RateLimit headers on allowed responses too', async () => {
      const base = await boot(POLICY);
      const res = await hit(base, 'GET', '/api/items');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('ratelimit') ?? '', /^"api";r=2;t=\d+$/);
    });

    it('answers 403 with a generic body on a deny rule', async () => {
      const base = await boot(POLICY);
      const res = await fetch(base + '/admin/panel');
      assert.equal(res.status, 403);
      assert.deepEqual(await res.json(), { error: 'forbidden' });
    });

    it('counts only failed logins', async () => {
      const base = await boot(POLICY);
      for (let i = 0; i < 5; i++) assert.equal((await hit(base, 'POST', '/login', { 'x-password': 'right' })).status, 200);
      assert.equal((await hit(base, 'POST', '/login', { 'x-password': 'wrong' })).status, 401);
      assert.equal((await hit(base, 'POST', '/login', { 'x-password': 'wrong' })).status, 401);
      assert.equal((await hit(base, 'POST', '/login', { 'x-password': 'right' })).status, 429);
    });

    it('challenges, and lets a rampart/client request through with its solution and then its pass', async () => {
      const base = await boot(`challenge: { difficulty: [{ risk: 0, max_number: 5000 }] }\nrules:\n  - { name: pow, match: GET /api/**, action: challenge }\n`);
      const statuses: number[] = [];
      const client = withRampart(async (input, init) => {
        const res = await fetch(input, init);
        statuses.push(res.status);
        return res;
      });
      for (let i = 0; i < 2; i++) {
        const res = await client(base + '/api/items');
        assert.equal(res.status, 200);
        assert.equal(await res.text(), 'ok');
      }
      assert.deepEqual(statuses, [403, 200, 200]);
      const refused = await fetch(base + '/api/items', { headers: { accept: 'text/html' } });
      assert.equal(refused.headers.get('rampart-challenge'), 'altcha');
      assert.match(await refused.text(), /<noscript>/);
    });

    it('forwards a tarpitted request after the delay, and answers 429 at once when the tarpit is full', async () => {
      const base = await boot(`tarpit: { delay: 300ms, max_concurrent: 1 }\nrules:\n  - { name: slow, match: GET /api/**, action: tarpit }\n`);
      // Whichever arrives first is held; the other finds the tarpit full.
      const both = await Promise.all([hit(base, 'GET', '/api/items'), hit(base, 'GET', '/api/items')]);
      assert.deepEqual(both.map((r) => r.status).sort(), [200, 429]);
    });

    it('lets everything through in monitor mode while logging what it would have done', async () => {
      const logged: Record<string, unknown>[] = [];
      const logger: Logger = { ...silentLogger, info: (obj) => void logged.push(obj as Record<string, unknown>) };
      const base = await boot(`mode: monitor\n${POLICY}`, logger);
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await hit(base, 'GET', '/api/items')).status);
      statuses.push((await hit(base, 'GET', '/admin/panel')).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
      assert.deepEqual(logged.map((l) => [l['rule'], l['would']]), [['api', 'throttle'], ['api', 'throttle'], ['no-admin', 'deny']]);
    });
  });
}
