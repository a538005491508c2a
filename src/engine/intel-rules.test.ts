import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { isRampartError } from '../errors.ts';
import { silentLogger } from '../logger.ts';
import { parsePolicy } from '../policy/load-policy.ts';
import { VirtualClock } from './clock.ts';
import { createEngine } from './engine.ts';
import type { Engine } from './engine.ts';
import type { RampartRequest } from './request-context.ts';

/** A browser request that no header or user-agent signal fires for, so only intel moves the risk. */
const BROWSER = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', accept: '*/*', 'accept-language': 'en', 'accept-encoding': 'gzip' };

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/intel/', import.meta.url));
const INTEL = `
intel:
  sources:
    - { name: asn, kind: asn-csv, path: ["${FIXTURES}asn-ipv4.csv", "${FIXTURES}asn-ipv6.csv"] }
    - { name: tor, kind: tor, path: "${FIXTURES}tor-bulk.txt" }
    - { name: country, kind: mmdb-country }
  weights: { tor: 60 }
`;

function engineFor(yaml: string): Engine {
  return createEngine({ policy: parsePolicy(yaml, { env: {} }), clock: new VirtualClock(0), logger: silentLogger });
}

const login = (ip: string, body: unknown = { username: 'alice' }): RampartRequest => ({ method: 'POST', url: '/api/auth/login', headers: {}, ip, body });

async function statuses(engine: Engine, r: RampartRequest, n: number): Promise<string> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await engine.decide(r)).action);
  return out.join(',');
}

describe('intel in rules', () => {
  it('gives logins from datacenter and Tor addresses a much tighter limit than residential ones', async () => {
    const engine = engineFor(`${INTEL}
rules:
  - name: login-risky
    match: POST /api/auth/login
    when: [{ ip.category: [datacenter, tor] }]
    limit: { rate: 2/min }
  - name: login
    match: POST /api/auth/login
    limit: { rate: 10/min }
`);
    assert.equal(await statuses(engine, login('5.9.1.1'), 3), 'allow,allow,throttle'); // Hetzner
    assert.equal(await statuses(engine, login('185.220.101.1'), 3), 'allow,allow,throttle'); // Tor exit
    assert.equal(await statuses(engine, login('81.2.69.160'), 3), 'allow,allow,allow'); // residential
  });

  it('matches on ASN, organisation and country', async () => {
    const engine = engineFor(`${INTEL}
rules:
  - { name: by-asn, match: GET /asn, when: [{ ip.asn: [24940, 64496] }], action: deny }
  - { name: by-org, match: GET /org, when: [{ ip.org: { matches: amazon, ignore_case: true } }], action: deny }
  - { name: by-country, match: GET /country, when: [{ not: { ip.country: [US] } }], action: deny }
`);
    const get = async (url: string, ip: string) => (await engine.decide({ method: 'GET', url, headers: {}, ip })).action;
    assert.equal(await get('/asn', '2a01:4f8::1'), 'deny');
    assert.equal(await get('/asn', '3.0.0.1'), 'allow');
    assert.equal(await get('/org', '3.0.0.1'), 'deny');
    assert.equal(await get('/org', '5.9.1.1'), 'allow');
    assert.equal(await get('/country', '8.8.8.8'), 'allow');
    assert.equal(await get('/country', '81.2.69.160'), 'deny');
  });

  it('category weights feed the risk score, and the finding names its source', async () => {
    const engine = engineFor(`${INTEL}
rules:
  - { name: risky, match: /**, when: [{ risk: { gte: 50 } }], action: deny }
`);
    const d = await engine.decide({ method: 'GET', url: '/', headers: BROWSER, ip: '185.220.101.2' });
    assert.equal(d.action, 'deny');
    assert.equal(d.risk, 60);
    assert.ok(d.reasons.includes('signal:ip.tor'));
    assert.match(d.context.finding('ip.tor')!.detail, /tor: tor exit \(tor\)/);
    const home = await engine.decide({ method: 'GET', url: '/', headers: BROWSER, ip: '81.2.69.160' });
    assert.equal(home.action, 'allow');
  });

  it('signals.ip.<category> overrides a category weight like any signal', async () => {
    const engine = engineFor(`${INTEL}
signals: { ip.tor: { weight: 10 } }
rules:
  - { name: risky, match: /**, when: [{ risk: { gte: 50 } }], action: deny }
`);
    const d = await engine.decide({ method: 'GET', url: '/', headers: BROWSER, ip: '185.220.101.2' });
    assert.equal(d.action, 'allow');
    assert.equal(d.risk, 10);
  });

  it('counts per ASN with the asn key, and skips addresses without one when told', async () => {
    const engine = engineFor(`${INTEL}
rules:
  - { name: per-asn, match: /**, key: asn, if_missing: skip, limit: { rate: 2/min } }
`);
    const get = async (ip: string) => (await engine.decide({ method: 'GET', url: '/', headers: {}, ip })).action;
    assert.equal(await get('5.9.0.1'), 'allow');
    assert.equal(await get('5.9.200.1'), 'allow');
    assert.equal(await get('2a01:4f8::9'), 'throttle'); // same ASN, other address version
    assert.equal(await get('10.0.0.1'), 'allow');
    assert.equal(await get('10.0.0.1'), 'allow');
    assert.equal(await get('10.0.0.1'), 'allow');
  });

  it('refuses sign-ups from disposable e-mail domains, subdomains included, with the operator\'s list', async () => {
    const engine = engineFor(`
intel:
  disposable_email: { add: [throwaway.test], except: [mailinator.com] }
rules:
  - { name: no-disposable, match: POST /register, when: [{ disposable_email: { body: email } }], action: deny }
`);
    const reg = async (email: unknown) => (await engine.decide({ method: 'POST', url: '/register', headers: {}, ip: '192.0.2.1', body: { email } })).action;
    assert.equal(engine.needsBody('POST', '/register'), true);
    assert.equal(await reg('bob@0-mail.com'), 'deny');
    assert.equal(await reg('Bob@MX.0-Mail.COM'), 'deny');
    assert.equal(await reg('x@sub.throwaway.test'), 'deny');
    assert.equal(await reg('x@mailinator.com'), 'allow');
    assert.equal(await reg('alice@example.com'), 'allow');
    assert.equal(await reg(42), 'allow');
  });

  it('disposable_email needs no intel section, and policies without intel load none', () => {
    const engine = engineFor(`rules: [{ name: d, match: POST /r, when: [{ disposable_email: { body: email } }], action: deny }]`);
    assert.equal(engine.intel, null);
  });

  it('explains intel conditions the policy cannot answer', () => {
    const issues = (yaml: string) => {
      try {
        engineFor(yaml);
        return [];
      } catch (err) {
        assert.ok(isRampartError(err));
        return err.issues.map((i) => `${i.path}: ${i.message}`);
      }
    };
    assert.match(issues(`rules: [{ name: a, when: [{ ip.category: tor }], action: deny }]`)[0]!, /rules\[0\]\.when\[0\]\.ip\.category: IP conditions need an `intel` section/);
    assert.match(issues(`intel: {}\nrules: [{ name: a, when: [{ ip.category: vpm }], action: deny }]`)[0]!, /unknown category `vpm`; known: datacenter, tor, vpn, proxy/);
    assert.match(issues(`intel: {}\nrules: [{ name: a, key: asn, limit: { rate: 1/s } }]`)[0]!, /rules\[0\]\.key: the `asn` key needs an ASN source/);
    assert.match(issues(`intel: {}\nrules: [{ name: a, when: [{ ip.country: DE }], action: deny }]`)[0]!, /needs a country source/);
    assert.match(issues(`intel: { sources: [{ name: v, kind: list, category: vpn, path: /nonexistent/vpn.txt }] }`)[0]!, /intel\.sources\[0\]\.path: file not found/);
  });

  it('builds the data once and shares it across reloads and engines with the same intel section', () => {
    const yaml = `${INTEL}\nrules: []`;
    const a = engineFor(yaml);
    const b = engineFor(yaml);
    assert.ok(a.intel !== null);
    assert.equal(a.intel, b.intel);
    a.reload(parsePolicy(`${INTEL}\nrules: [{ name: x, action: deny }]`, { env: {} }));
    assert.equal(a.intel, b.intel);
  });
});
