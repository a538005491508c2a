import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRampartError } from '../errors.ts';
import { silentLogger } from '../logger.ts';
import { parsePolicy } from '../policy/load-policy.ts';
import { VirtualClock } from './clock.ts';
import { createEngine } from './engine.ts';
import type { Engine } from './engine.ts';
import type { RampartRequest } from './request-context.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');

function setup(yaml: string): { engine: Engine; clock: VirtualClock } {
  const clock = new VirtualClock(T0);
  return { engine: createEngine({ policy: parsePolicy(yaml, { env: {} }), clock, logger: silentLogger }), clock };
}

const get = (url: string, ip = '203.0.113.7'): RampartRequest => ({ method: 'GET', url, headers: {}, ip });
const login = (username: string, ip = '203.0.113.7'): RampartRequest => ({ method: 'POST', url: '/login', headers: {}, ip, body: { username, password: 'x' } });

async function actions(engine: Engine, requests: RampartRequest[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of requests) out.push((await engine.decide(r)).action);
  return out;
}

describe('engine: distinct limits', () => {
  it('counts distinct resource ids per IP: repeats are free, the first id past the limit is refused', async () => {
    const { engine, clock } = setup(`
rules:
  - name: product-ids
    match: GET /api/products/:id
    limit: { rate: 3/10min, distinct: path }
`);
    const urls = ['/api/products/1', '/api/products/2', '/api/products/1', '/api/products/3', '/api/products/2', '/api/products/4'];
    assert.deepEqual(await actions(engine, urls.map((u) => get(u))), ['allow', 'allow', 'allow', 'allow', 'allow', 'throttle']);
    // Another spelling of a counted path is the same member: paths are canonical.
    assert.equal((await engine.decide(get('/api//products/%31'))).action, 'allow');
    // Another client has its own count.
    assert.equal((await engine.decide(get('/api/products/4', '198.51.100.1'))).action, 'allow');
    const refused = await engine.decide(get('/api/products/5'));
    assert.deepEqual([refused.action, refused.reasons], ['throttle', ['limit:product-ids']]);
    assert.equal(refused.headers['ratelimit-policy'], '"product-ids";q=3;w=600');
    clock.advance(20 * 60_000);
    assert.equal((await engine.decide(get('/api/products/5'))).action, 'allow');
  });

  it('counts distinct usernames per IP among failed logins: a success gives its unit back', async () => {
    const { engine } = setup(`
rules:
  - name: usernames-per-ip
    match: POST /login
    limit: { rate: 2/hour, distinct: body:username, count: { status: [401] } }
`);
    const fail = async (username: string) => {
      const d = await engine.decide(login(username));
      if (d.action === 'allow') engine.observe(d, 401);
      return d.action;
    };
    const ok = await engine.decide(login('owner'));
    engine.observe(ok, 200);
    assert.deepEqual([await fail('alice'), await fail('bob'), await fail('alice'), await fail('carol')], ['allow', 'allow', 'allow', 'throttle']);
    // `owner` succeeded, so it was forgotten: it counts as new now, and the quota is used up.
    assert.equal(await fail('owner'), 'throttle');
  });

  it('counts distinct addresses per username (one account tried from many IPs)', async () => {
    const { engine } = setup(`
rules:
  - name: ips-per-user
    match: POST /login
    key: body:username
    limit: { rate: 3/hour, distinct: ip }
`);
    const ips = ['192.0.2.1', '192.0.2.2', '192.0.2.1', '192.0.2.3', '192.0.2.4'];
    assert.deepEqual(await actions(engine, ips.map((ip) => login(' Victim', ip))), ['allow', 'allow', 'allow', 'allow', 'throttle']);
    assert.equal((await engine.decide(login('someone-else', '192.0.2.4'))).action, 'allow');
  });

  it('gives back the unit and forgets the member when another limit refuses the request', async () => {
    const { engine } = setup(`
rules:
  - name: product-ids
    match: GET /api/products/:id
    limit: { rate: 2/10min, distinct: path }
  - name: per-probe
    match: GET /api/products/:id
    key: header:x-probe
    if_missing: skip
    limit: { rate: 1/hour }
`);
    const probe = (url: string): RampartRequest => ({ ...get(url), headers: { 'x-probe': 'p' } });
    assert.deepEqual(await actions(engine, [probe('/api/products/1'), probe('/api/products/2')]), ['allow', 'throttle']);
    // Product 2 was refused by `per-probe`: its unit came back and it was forgotten, so it counts
    // as new here and fills the quota, and product 3 is one too many. Had product 2 stayed
    // remembered, it would pass for free and product 3 would fit.
    assert.deepEqual(await actions(engine, [get('/api/products/2'), get('/api/products/3')]), ['allow', 'throttle']);
  });

  it('reads the body for a distinct body field, and hashes long members', async () => {
    const { engine } = setup(`
rules:
  - name: usernames-per-ip
    match: POST /login
    limit: { rate: 1/hour, distinct: body:username }
`);
    assert.equal(engine.needsBody('POST', '/login'), true);
    const long = 'x'.repeat(300); // over the 64-character bound on members, under the context's cap on field values
    assert.deepEqual(await actions(engine, [login(long), login(long), login(`${long}y`)]), ['allow', 'allow', 'throttle']);
  });

  it('names the path and the choices for a bad distinct part', () => {
    assert.throws(
      () => parsePolicy('rules:\n  - name: r\n    limit: { rate: 1/min, distinct: resource }\n', { env: {} }),
      (err: unknown) => isRampartError(err) && /rules\[0\]\.limit\.distinct/.test(err.message) && /path/.test(err.message),
    );
  });
});
