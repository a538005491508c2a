import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isRampartError } from '../errors.ts';
import type { RampartError } from '../errors.ts';
import { parseDuration, parseRate } from './duration.ts';
import { policyJsonSchemaText } from './json-schema.ts';
import { parsePolicy } from './load-policy.ts';

function issuesOf(text: string, env: Record<string, string> = {}): { path: string; message: string }[] {
  try {
    parsePolicy(text, { env });
  } catch (err) {
    assert.ok(isRampartError(err));
    return [...err.issues];
  }
  assert.fail('expected the policy to be rejected');
}

describe('policy: rates and durations', () => {
  it('reads rates the way people write them', () => {
    assert.deepEqual(parseRate('5/min'), { limit: 5, windowMs: 60_000 });
    assert.deepEqual(parseRate('100/hour'), { limit: 100, windowMs: 3_600_000 });
    assert.deepEqual(parseRate('10/s'), { limit: 10, windowMs: 1_000 });
    assert.deepEqual(parseRate('20/10s'), { limit: 20, windowMs: 10_000 });
    assert.deepEqual(parseRate('1000 / day'), { limit: 1000, windowMs: 86_400_000 });
    assert.equal(parseRate('0/min'), null);
    assert.equal(parseRate('5/fortnight'), null);
    assert.equal(parseRate('five/min'), null);
  });

  it('reads durations with units, and bare numbers as milliseconds', () => {
    assert.equal(parseDuration('15m'), 900_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration(250), 250);
    assert.equal(parseDuration('soon'), null);
  });
});

describe('policy: loading', () => {
  it('fills in defaults for a minimal file', () => {
    const p = parsePolicy('rules:\n  - { name: a, limit: { rate: 5/min } }\n');
    assert.equal(p.mode, 'enforce');
    assert.equal(p.rules[0]!.match, '/**');
    assert.equal(p.rules[0]!.limit!.algorithm, 'sliding-window');
    assert.equal(p.client_ip.ipv4_prefix, 24);
    assert.equal(p.state.memory.max_keys, 1_000_000);
  });

  it('accepts JSON as well as YAML', () => {
    const p = parsePolicy('{"rules":[{"name":"a","match":"POST /login","limit":{"rate":"5/min"}}]}');
    assert.equal(p.rules[0]!.match, 'POST /login');
  });

  it('reports every problem at once, each with its path and how to fix it', () => {
    const issues = issuesOf(`
mode: enforse
client_ip: { trusted_proxie: [] }
rules:
  - name: login
    match: POST /api/auth/login
    key: [ip, foo]
    limit: { rate: 5/fortnight, algoritm: gcra }
    when: [{ ip: [10.0.0.0/8], header: { name: x } }]
`);
    const byPath = new Map(issues.map((i) => [i.path, i.message]));
    assert.match(byPath.get('mode')!, /enforce.*monitor.*found "enforse"/);
    assert.match(byPath.get('client_ip.trusted_proxie')!, /did you mean `trusted_proxies`/);
    assert.match(byPath.get('rules[0].key[1]')!, /expected ip, ip_prefix.*found "foo"/);
    assert.match(byPath.get('rules[0].limit.rate')!, /expected a rate like 5\/min/);
    assert.match(byPath.get('rules[0].limit.algoritm')!, /did you mean `algorithm`/);
    assert.match(byPath.get('rules[0].when[0]')!, /exactly one of/);
    assert.equal(issues.length, 6);
  });

  it('reads JSON with a byte order mark', () => {
    const p = parsePolicy('\uFEFF{"rules":[{"name":"a","action":"deny"}]}', { source: 'p.json' });
    assert.equal(p.rules[0]!.name, 'a');
  });

  it('names the line of a YAML syntax error', () => {
    try {
      parsePolicy('rules:\n  - name: a\n   bad: [\n');
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(isRampartError(err));
      assert.equal(err.code, 'RAMPART_ERR_CONFIG_READ');
      assert.match(err.message, /line \d+/);
    }
  });

  it('interpolates environment variables with defaults, and types a lone variable', () => {
    const p = parsePolicy('state: { memory: { max_keys: "${KEYS:-5000}" } }\nrules:\n  - { name: "${NAME}", limit: { rate: "${RATE:-5/min}" } }\n', { env: { NAME: 'from-env' } });
    assert.equal(p.state.memory.max_keys, 5000);
    assert.equal(p.rules[0]!.name, 'from-env');
    assert.equal(p.rules[0]!.limit!.rate, '5/min');
  });

  it('names an unset variable that has no default', () => {
    const issues = issuesOf('rules:\n  - { name: a, limit: { rate: "${RATE}" } }\n');
    assert.equal(issues[0]!.path, 'rules[0].limit.rate');
    assert.match(issues[0]!.message, /RATE is not set/);
  });
});

describe('policy: JSON Schema', () => {
  it('is committed and up to date with the zod schema (run `npm run schema` if this fails)', () => {
    const committed = readFileSync(new URL('../../schema/rampart.schema.json', import.meta.url), 'utf8');
    assert.equal(committed, policyJsonSchemaText());
  });

  it('reports the first YAML syntax errors, counts the rest, and says how to quote ${VAR} in a flow map', () => {
    const text = 'rules:\n  - { name: a, limit: { rate: ${X:-1}/s } }\n  - name: b\n    action: deny\n';
    assert.throws(() => parsePolicy(text, { env: {} }), (err: RampartError) => {
      assert.equal(err.issues.length, 4);
      assert.match(err.issues[0]!.message, /quote a \$\{VAR\} value: "\$\{VAR:-default\}"$/);
      assert.match(err.issues[3]!.message, /^and \d+ more syntax errors after these, most likely caused by the first$/);
      return true;
    });
  });
});
