import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, isRampartError } from '../errors.ts';
import { parsePolicy } from '../policy/load-policy.ts';
import { createDecisionLog, destinationFor } from './decision-log.ts';
import type { DecisionLogConfig, DecisionLogOptions } from './decision-log.ts';
import { SECRET_FIELDS, SECRET_HEADERS } from './redact.ts';
import { T0, makeRecord } from './test-records.ts';

const KEY = 'test-hash-key-0123456789abcdef';
const hmac = (value: string): string => 'hmac:' + createHmac('sha256', KEY).update(value).digest('base64url').slice(0, 22);

function config(overrides: Partial<DecisionLogConfig> = {}): DecisionLogConfig {
  return { ...parsePolicy('{}', { env: {} }).log.decisions, hash_key: KEY, ...overrides };
}

/** A decision log writing into memory; `lines()` parses what was written. */
function memoryLog(overrides: Partial<DecisionLogConfig> = {}, options: DecisionLogOptions = {}) {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  const log = createDecisionLog(config(overrides), { destination, ...options });
  return { log, text: () => chunks.join(''), lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>) };
}

describe('decision log: record shape', () => {
  it('writes one JSON line with exactly the replay fields plus the decision, in order', () => {
    const { log, text, lines } = memoryLog();
    log.onRequest(
      makeRecord({
        request: { url: '/api/auth/login?x=1', headers: { 'user-agent': 'curl/8.5', accept: 'application/json' }, body: { username: 'alice' } },
        decision: { action: 'throttle', intended: 'throttle', rule: 'login', reasons: ['limit:login'], risk: 12 },
        record: { status: 429, upstreamStatus: null, upstreamSeconds: null, decisionSeconds: 0.0000042 },
      }),
    );
    assert.equal(text().split('\n').length, 2, 'one line, newline-terminated');
    const [line] = lines();
    assert.deepEqual(Object.keys(line!), ['ts', 'ip', 'method', 'url', 'headers', 'body', 'status', 'upstream_status', 'decision', 'latency_ms', 'route']);
    assert.deepEqual(line, {
      ts: '2026-11-23T10:00:00.123Z',
      ip: '203.0.113.7',
      method: 'POST',
      url: '/api/auth/login?x=1',
      headers: { 'user-agent': 'curl/8.5', accept: 'application/json' },
      body: { username: 'alice' },
      status: 429,
      upstream_status: null,
      decision: { action: 'throttle', intended: 'throttle', rule: 'login', reasons: ['limit:login'], risk: 12, monitor: false },
      latency_ms: { decision: 0.004, upstream: null },
      route: 'POST /api/auth/login',
    });
    assert.deepEqual(Object.keys(line!['decision']), ['action', 'intended', 'rule', 'reasons', 'risk', 'monitor']);
  });

  it('leaves body out when the front door parsed none, and writes upstream figures when forwarded', () => {
    const { log, lines } = memoryLog();
    log.onRequest(makeRecord({ request: { method: 'GET', url: '/api/products' }, record: { status: 200, upstreamStatus: 200, upstreamSeconds: 0.0123, route: null } }));
    const [line] = lines();
    assert.equal('body' in line!, false);
    assert.equal(line!['upstream_status'], 200);
    assert.deepEqual(line!['latency_ms'], { decision: 0.004, upstream: 12.3 });
    assert.equal(line!['route'], null);
  });

  it('round-trips what replay reads: ts, ip, method, url, headers, body, status', () => {
    const { log, lines } = memoryLog();
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.constantFrom('GET', 'POST', 'DELETE'),
        fc.webPath(),
        fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((h) => !/auth|token|secret|passw|key|cookie|session|csrf|signature|credential/.test(h)), fc.string({ maxLength: 40 }), { noNullPrototype: true }),
        fc.option(fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/).filter((f) => !/pass|pwd|secret|token|otp|code|pin|cv|card|key/.test(f)), fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 10, noNullPrototype: true }), { nil: undefined }),
        fc.integer({ min: 100, max: 599 }),
        (startedAt, method, url, headers, body, status) => {
          const before = lines().length;
          log.onRequest(makeRecord({ request: { method, url, headers, ...(body === undefined ? {} : { body }) }, record: { startedAt, status } }));
          const line = lines()[before]!;
          assert.equal(Date.parse(line['ts']), startedAt);
          assert.deepEqual([line['ip'], line['method'], line['url'], line['status']], ['203.0.113.7', method, url, status]);
          assert.deepEqual(line['headers'], headers);
          assert.deepEqual(line['body'], body);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('escapes what JSON needs escaped', () => {
    const { log, lines } = memoryLog();
    const weird = 'a"b\\c\n\u0001\ud800é';
    log.onRequest(makeRecord({ request: { url: '/x?q=' + weird, headers: { 'x-note': weird }, body: { note: weird } } }));
    const [line] = lines();
    assert.equal(line!['url'], '/x?q=' + weird);
    assert.equal(line!['headers']['x-note'], weird);
    assert.equal(line!['body']['note'], weird);
  });
});

describe('decision log: redaction', () => {
  it('hashes credential headers, the policy API key header and configured headers; keeps the rest', () => {
    const { log, lines } = memoryLog({ redact_headers: ['X-Tenant-Secret-Id'] }, { apiKeyHeader: 'x-shop-key' });
    log.onRequest(
      makeRecord({
        request: {
          headers: {
            authorization: 'Bearer tok.en',
            'proxy-authorization': 'Basic cHJveHk6cHc=',
            cookie: 'sid=s3cr3t',
            'set-cookie': ['a=1', 'b=2'],
            'x-api-key': 'k-123',
            'x-auth-token': 'at',
            'x-csrf-token': 'csrf',
            'x-shop-key': 'shop-key',
            'x-tenant-secret-id': 'tenant',
            'user-agent': 'curl/8.5',
            'x-forwarded-for': '198.51.100.1',
          },
        },
      }),
    );
    assert.deepEqual(lines()[0]!['headers'], {
      authorization: 'Bearer ' + hmac('Bearer tok.en'),
      'proxy-authorization': 'Basic ' + hmac('Basic cHJveHk6cHc='),
      cookie: hmac('sid=s3cr3t'),
      'set-cookie': [hmac('a=1'), hmac('b=2')],
      'x-api-key': hmac('k-123'),
      'x-auth-token': hmac('at'),
      'x-csrf-token': hmac('csrf'),
      'x-shop-key': hmac('shop-key'),
      'x-tenant-secret-id': hmac('tenant'),
      'user-agent': 'curl/8.5',
      'x-forwarded-for': '198.51.100.1',
    });
  });

  it('hashes secret body fields at any depth and of any type, including configured ones', () => {
    const { log, lines } = memoryLog({ redact_body_fields: ['ssn'] });
    const body = {
      username: 'alice',
      password: 'hunter2',
      profile: { SSN: '078-05-1120', newPassword: 'n3w', pin: 1234, tags: ['a'] },
      cards: [{ card_number: '4111111111111111', cvv: 123, holder: 'A' }],
      otp: null,
      token: { nested: 'object' },
    };
    log.onRequest(makeRecord({ request: { body } }));
    assert.deepEqual(lines()[0]!['body'], {
      username: 'alice',
      password: hmac('hunter2'),
      profile: { SSN: hmac('078-05-1120'), newPassword: hmac('n3w'), pin: hmac('1234'), tags: ['a'] },
      cards: [{ card_number: hmac('4111111111111111'), cvv: hmac('123'), holder: 'A' }],
      otp: null,
      token: hmac('{"nested":"object"}'),
    });
  });

  it('gives the same password the same hash on different requests (spraying stays visible)', () => {
    const { log, lines } = memoryLog();
    log.onRequest(makeRecord({ request: { body: { username: 'alice', password: 'Summer2026!' } } }));
    log.onRequest(makeRecord({ request: { body: { username: 'bob', password: 'Summer2026!' } } }));
    const [a, b] = lines();
    assert.equal(a!['body']['password'], b!['body']['password']);
  });

  it('hashes secret query parameters and the policy API key parameter, keeping the rest of the URL', () => {
    const { log, lines } = memoryLog({}, { apiKeyQuery: 'key' });
    log.onRequest(makeRecord({ request: { url: '/api/reset?page=2&token=abc%3D&key=K1&next=%2Fhome' } }));
    assert.equal(lines()[0]!['url'], `/api/reset?page=2&token=${hmac('abc=')}&key=${hmac('K1')}&next=%2Fhome`);
  });

  it('never writes a secret placed in a sensitive header, body field or query parameter', () => {
    const secretArb = fc.oneof(fc.string({ minLength: 12, maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 12, maxLength: 40 }));
    const headerArb = fc.constantFrom(...SECRET_HEADERS, 'x-shop-key', 'x-session-token');
    const fieldArb = fc.constantFrom(...SECRET_FIELDS, 'newPassword', 'Access-Token', 'passwordConfirmation');
    const placeArb = fc.oneof(
      fc.record({ where: fc.constant('header' as const), name: headerArb, scheme: fc.constantFrom('', 'Bearer ', 'Basic ', 'hunter ') }),
      fc.record({ where: fc.constant('body' as const), name: fieldArb, depth: fc.integer({ min: 0, max: 4 }), inArray: fc.boolean() }),
      fc.record({ where: fc.constant('query' as const), name: fieldArb }),
    );
    fc.assert(
      fc.property(secretArb, placeArb, fc.boolean(), (secret, place, sampleAll) => {
        const { log, text } = memoryLog({ sample_allowed: sampleAll ? 1 : 0 }, { apiKeyHeader: 'x-shop-key' });
        const headers: Record<string, string | string[]> = { 'user-agent': 'curl/8.5' };
        let body: unknown;
        let url = '/api/auth/login?page=1';
        if (place.where === 'header') headers[place.name] = place.name === 'set-cookie' ? ['x=1', place.scheme + secret] : place.scheme + secret;
        else if (place.where === 'query') url += `&${encodeURIComponent(place.name)}=${encodeURIComponent(secret)}`;
        else {
          body = { [place.name]: secret, username: 'alice' };
          if (place.inArray) body = { items: [body] };
          for (let i = 0; i < place.depth; i++) body = { level: body };
        }
        log.onRequest(makeRecord({ request: { url, headers, ...(body === undefined ? {} : { body }) }, decision: { action: 'deny', status: 403 } }));
        const out = text();
        assert.ok(out.length > 0);
        for (const form of [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]) assert.equal(out.includes(form), false, `leaked ${form} in ${out}`);
      }),
      { numRuns: 300 },
    );
  });
});

describe('decision log: bounds on bodies', () => {
  it('writes at most 32 body fields and marks the rest', () => {
    const { log, lines } = memoryLog();
    const body: Record<string, number> = {};
    for (let i = 0; i < 40; i++) body['f' + i] = i;
    log.onRequest(makeRecord({ request: { body } }));
    const logged = lines()[0]!['body'];
    assert.equal(Object.keys(logged).length, 33);
    assert.equal(logged['f31'], 31);
    assert.equal(logged['f32'], undefined);
    assert.equal(logged['…'], '[truncated]');
  });

  it('counts array items against the same budget', () => {
    const { log, lines } = memoryLog();
    log.onRequest(makeRecord({ request: { body: { ids: Array.from({ length: 100 }, (_, i) => i) } } }));
    const ids = lines()[0]!['body']['ids'] as unknown[];
    assert.equal(ids.length, 32);
    assert.equal(ids.at(-1), '[truncated]');
  });

  it('writes three levels of nesting and marks deeper values', () => {
    const { log, lines } = memoryLog();
    log.onRequest(makeRecord({ request: { body: { a: { b: { c: { d: 1 }, e: [1] }, keep: 1 } } } }));
    assert.deepEqual(lines()[0]!['body'], { a: { b: { c: '[truncated]', e: '[truncated]' }, keep: 1 } });
  });

  it('cuts strings and field names past 256 characters and marks the cut', () => {
    const { log, lines } = memoryLog();
    const long = 'x'.repeat(1000);
    log.onRequest(makeRecord({ request: { body: { bio: long, [long]: 1, short: 'y'.repeat(256) } } }));
    const logged = lines()[0]!['body'];
    assert.equal(logged['bio'], 'x'.repeat(256) + '…[truncated]');
    assert.equal(logged['x'.repeat(256) + '…[truncated]'], 1);
    assert.equal(logged['short'], 'y'.repeat(256));
  });

  it('logs a scalar or array body as it is', () => {
    const { log, lines } = memoryLog();
    log.onRequest(makeRecord({ request: { body: 'plain' } }));
    log.onRequest(makeRecord({ request: { body: [1, 'two', null] } }));
    assert.deepEqual(lines().map((l) => l['body']), ['plain', [1, 'two', null]]);
  });
});

describe('decision log: sampling', () => {
  const mixed = () => [
    makeRecord({ decision: { action: 'allow' } }),
    makeRecord({ decision: { action: 'throttle', rule: 'login' } }),
    makeRecord({ decision: { action: 'deny', rule: 'block' } }),
    makeRecord({ decision: { action: 'challenge', rule: 'pow' } }),
    makeRecord({ decision: { action: 'allow', intended: 'throttle', monitor: true, rule: 'login' } }),
  ];

  it('with sample_allowed 0 logs only refused and monitored requests', () => {
    const { log, lines } = memoryLog({ sample_allowed: 0 });
    for (const r of mixed()) log.onRequest(r);
    assert.deepEqual(lines().map((l) => [l['decision']['action'], l['decision']['monitor']]), [['throttle', false], ['deny', false], ['challenge', false], ['allow', true]]);
  });

  it('with sample_allowed 1 logs everything', () => {
    const { log, lines } = memoryLog({ sample_allowed: 1 });
    for (const r of mixed()) log.onRequest(r);
    assert.equal(lines().length, 5);
  });

  it('logs an allowed request when the random draw falls under sample_allowed', () => {
    const draws = [0.1, 0.5, 0.49, 0.9];
    const { log, lines } = memoryLog({ sample_allowed: 0.5 }, { random: () => draws.shift()! });
    for (let i = 0; i < 4; i++) log.onRequest(makeRecord({ record: { status: 200 + i } }));
    assert.deepEqual(lines().map((l) => l['status']), [200, 202]);
  });

  it('writes nothing when disabled, not even refusals', () => {
    const { log, text } = memoryLog({ enabled: false });
    log.onRequest(makeRecord({ decision: { action: 'deny' } }));
    assert.equal(text(), '');
  });

  it('refuses a sample_allowed outside 0–1', () => {
    assert.throws(() => createDecisionLog(config({ sample_allowed: 1.5 }), { destination: new Writable() }), (err) => isRampartError(err) && err.code === ErrorCode.INVALID_ARGUMENT);
  });
});

describe('decision log: destinations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-decision-log-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('maps stdout and stderr to their file descriptors and anything else to a file', () => {
    assert.deepEqual(destinationFor('stdout'), { fd: 1 });
    assert.deepEqual(destinationFor('stderr'), { fd: 2 });
    assert.deepEqual(destinationFor('/var/log/rampart.jsonl'), { file: '/var/log/rampart.jsonl' });
  });

  it('appends lines to a file (creating its directory) that read back after close()', async () => {
    const file = join(dir, 'nested', 'decisions.jsonl');
    const first = createDecisionLog(config({ to: file }));
    for (let i = 0; i < 3; i++) first.onRequest(makeRecord({ record: { status: 200 + i } }));
    await first.close();
    const second = createDecisionLog(config({ to: file }));
    second.onRequest(makeRecord({ record: { status: 299 } }));
    await second.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.pop(), '');
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { status: number }).status), [200, 201, 202, 299]);
    assert.equal((JSON.parse(lines[0]!) as { ts: string }).ts, new Date(T0).toISOString());
    assert.equal(statSync(file).mode & 0o007, 0, 'not world-readable');
  });

  it('refuses at creation a file path that cannot be written, naming log.decisions.to', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    assert.throws(
      () => createDecisionLog(config({ to: join(file, 'decisions.jsonl') })),
      (err) => isRampartError(err) && err.code === ErrorCode.INVALID_CONFIG && err.issues[0]?.path === 'log.decisions.to',
    );
  });

  it('ignores records after close() and closes twice without error', async () => {
    const file = join(dir, 'closed.jsonl');
    const log = createDecisionLog(config({ to: file }));
    log.onRequest(makeRecord());
    await log.close();
    log.onRequest(makeRecord());
    await log.close();
    assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 1);
  });
});

describe('decision log: reloads', () => {
  it('hashes API keys from the header a reload names, from then on', () => {
    const { log, text } = memoryLog({}, { apiKeyHeader: 'x-shop-key' });
    log.updateSecrets({ apiKeyHeader: 'x-partner-ident' });
    log.onRequest(makeRecord({ request: { headers: { 'x-partner-ident': 'pk_live_SECRET123' } } }));
    assert.ok(!text().includes('pk_live_SECRET123'));
    assert.match(text(), /"x-partner-ident":"hmac:/);
  });
});
