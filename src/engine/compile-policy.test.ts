import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRampartError } from '../errors.ts';
import { parsePolicy } from '../policy/load-policy.ts';
import { builtinSignals } from '../signals/registry.ts';
import { compilePolicy } from './compile-policy.ts';

function problems(yaml: string): Map<string, string> {
  try {
    compilePolicy(parsePolicy(yaml), builtinSignals);
  } catch (err) {
    assert.ok(isRampartError(err));
    return new Map(err.issues.map((i) => [i.path, i.message]));
  }
  assert.fail('expected compile errors');
}

describe('policy compilation: problems beyond the shape, all at once and with paths', () => {
  it('checks rule semantics', () => {
    const p = problems(`
rules:
  - { name: a, action: throttle }
  - { name: b, limit: { rate: 5/min, burst: 10 } }
  - { name: c, limit: { rate: 5/min, cost: 6 } }
  - { name: c, action: deny }
  - { name: e, match: '/a/**/b', action: deny }
  - { name: f, when: [{ signal: nope }], action: deny }
  - { name: g, limit: { rate: 99999999999/30d } }
`);
    assert.match(p.get('rules[0].action')!, /needs a `limit`/);
    assert.match(p.get('rules[1].limit.burst')!, /token-bucket and gcra/);
    assert.match(p.get('rules[2].limit.cost')!, /every request would be refused/);
    assert.match(p.get('rules[3].name')!, /already used by rules\[2\]/);
    assert.match(p.get('rules[4].match')!, /\*\*/);
    assert.match(p.get('rules[5].when[0].signal')!, /unknown signal `nope`/);
    assert.match(p.get('rules[6].limit')!, /2\^53/);
  });

  it('names the exact entry of a bad IP range', () => {
    const p = problems(`
client_ip: { trusted_proxies: [10.0.0.0/8, 10.0.0.1/8] }
rules:
  - { name: a, when: [{ ip: [192.0.2.0/24, nonsense] }], action: deny }
`);
    assert.match(p.get('client_ip.trusted_proxies[1]')!, /10\.0\.0\.0\/8/);
    assert.ok(p.has('rules[0].when[0].ip[1]'));
  });
});
