// The detection benchmark's own machinery (bench/detection/): the simulator is deterministic, the
// scorer's arithmetic is right, and the CrowdSec comparison gives the expected verdicts. The whole
// benchmark runs in `npm run bench:detection`, not here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAddressPools } from '../bench/detection/ip-ranges.ts';
import { simulate, toLabelLine, toLogLine } from '../bench/detection/simulate.ts';
import { scoreDecisions } from '../bench/detection/score.ts';
import { checkGoals } from '../bench/detection/report.ts';
import { cracking, stuffingNaive } from '../bench/detection/scenarios/credentials.ts';
import { CORPUS_DIR, normalizeIp, runCorpusTest, toCombined, verdictOf } from '../bench/detection/crowdsec.ts';
import type { CorpusTest } from '../bench/detection/crowdsec.ts';
import type { Label } from '../bench/detection/types.ts';
import { loadPolicyFile } from '../src/policy/load-policy.ts';
import { parseJsonlLine } from '../src/replay/jsonl-reader.ts';
import { parseNginxLine } from '../src/replay/nginx-reader.ts';

// The fallback ranges keep these tests off the 400k-line ASN table.
const pools = loadAddressPools('/nonexistent/asn.csv');
const small = { scale: 0.02, scenarios: [stuffingNaive, cracking], pools } as const;

describe('detection simulator', () => {
  it('writes the same log and labels for the same seed, and a different log for another seed', () => {
    const a = simulate({ seed: 5, ...small });
    const b = simulate({ seed: 5, ...small });
    const c = simulate({ seed: 6, ...small });
    assert.ok(a.records.length > 100);
    assert.deepEqual(a.records.map(toLogLine), b.records.map(toLogLine));
    assert.deepEqual(a.records.map((r) => toLabelLine(r.label)), b.records.map((r) => toLabelLine(r.label)));
    assert.notDeepEqual(a.records.map(toLogLine), c.records.map(toLogLine));
  });

  it('writes records replay can read, in time order, with lower-case headers and a label each', () => {
    const sim = simulate({ seed: 1, ...small });
    let last = 0;
    for (const r of sim.records) {
      const parsed = parseJsonlLine(toLogLine(r));
      assert.ok(parsed.ok);
      assert.ok(parsed.record.ts >= last);
      last = parsed.record.ts;
      for (const name of Object.keys(r.headers)) assert.equal(name, name.toLowerCase());
      assert.equal(typeof JSON.parse(toLabelLine(r.label)).malicious, 'boolean');
    }
    const scenarios = new Set(sim.records.map((r) => r.label.scenario));
    assert.deepEqual([...scenarios].sort(), ['cracking', 'legit', 'stuffing-naive']);
  });

  it('answers logins as the shop would: 401 for a wrong password, 200 and a success label for the right one', () => {
    const sim = simulate({ seed: 1, ...small });
    const crack = sim.records.filter((r) => r.label.scenario === 'cracking');
    assert.deepEqual(crack.slice(0, -1).map((r) => r.status), crack.slice(0, -1).map(() => 401));
    assert.equal(crack.at(-1)!.status, 200);
    assert.equal(crack.at(-1)!.label.success, 'login');
  });
});

describe('detection scorer', () => {
  const bad = (scenario: string, actor: string, success?: 'login'): Label => ({ malicious: true, scenario, actor, ...(success === undefined ? {} : { success }) });
  const good = (actor: string): Label => ({ malicious: false, scenario: 'legit', actor });

  it('computes mitigated shares, successes let through and time to first mitigation per scenario', () => {
    const ts = [1000, 1500, 2000, 4000, 5000, 6000];
    const labels = [bad('s', 'a', 'login'), bad('s', 'a'), bad('s', 'b', 'login'), bad('s', 'b', 'login'), bad('t', 'x'), bad('t', 'x')];
    const actions = ['allow', 'allow', 'throttle', 'allow', 'allow', 'allow'] as const;
    const rules = [null, null, 'login-per-ip', null, null, null];
    const { scenarios } = scoreDecisions({ ts, labels, actions: [...actions], rules, order: ['s', 't', 'u'] });
    assert.deepEqual(scenarios.map((s) => s.id), ['s', 't', 'u']);
    const [s, t, u] = scenarios;
    assert.equal(s!.requests, 4);
    assert.equal(s!.mitigated, 1);
    assert.equal(s!.byAction.throttle, 1);
    assert.equal(s!.mitigatedShare, 0.25);
    assert.equal(s!.successesPossible, 3);
    assert.equal(s!.successesLetThrough, 2);
    assert.equal(s!.timeToFirstMitigationMs, 1000);
    assert.equal(s!.actors, 2);
    assert.equal(s!.actorsMitigated, 1);
    assert.deepEqual([...s!.rules], [['login-per-ip', 1]]);
    assert.equal(t!.timeToFirstMitigationMs, null);
    assert.equal(t!.mitigatedShare, 0);
    assert.equal(u!.requests, 0);
  });

  it('counts legitimate requests and users affected, each user by the strongest action met, per cohort', () => {
    const labels = [good('u1:home'), good('u1:home'), good('u2:cgnat'), good('u2:cgnat'), good('u3:cgnat'), good('u4:home')];
    const rules = [null, 'a', 'a', 'b', null, null];
    const { legit } = scoreDecisions({ ts: [0, 1, 2, 3, 4, 5], labels, actions: ['allow', 'throttle', 'throttle', 'deny', 'allow', 'allow'], rules });
    assert.equal(legit.requests, 6);
    assert.equal(legit.affectedRequests, 3);
    assert.deepEqual(legit.requestsByAction, { throttle: 2, deny: 1, challenge: 0, tarpit: 0 });
    assert.equal(legit.users, 4);
    assert.equal(legit.affectedUsers, 2);
    assert.deepEqual(legit.usersByWorstAction, { throttle: 1, deny: 1, challenge: 0, tarpit: 0 });
    assert.deepEqual(legit.cohorts.get('cgnat'), { users: 2, affected: 1 });
    assert.deepEqual(legit.cohorts.get('home'), { users: 2, affected: 1 });
    assert.deepEqual(Object.fromEntries(legit.rules), { a: 2, b: 1 });
  });

  it('says a goal is not met when a legitimate user is denied', () => {
    const score = scoreDecisions({ ts: [0], labels: [good('u1:home')], actions: ['deny'] });
    const goals = checkGoals(score, []);
    assert.equal(goals.find((g) => g.goal.startsWith('no legitimate user denied'))!.met, false);
  });

  it('refuses decisions and labels of different lengths', () => {
    assert.throws(() => scoreDecisions({ ts: [0, 1], labels: [good('u1')], actions: ['allow'] }), /2 timestamps, 1 labels/);
  });
});

describe('CrowdSec corpus comparison', () => {
  it('gives match, missed, extra and both from the address sets', () => {
    const set = (...ips: string[]) => new Set(ips);
    assert.equal(verdictOf(set('1.2.3.4'), set('1.2.3.4')), 'match');
    assert.equal(verdictOf(set('1.2.3.4', '1.2.3.5'), set('1.2.3.4')), 'missed');
    assert.equal(verdictOf(set('1.2.3.4'), set('1.2.3.4', '9.9.9.9')), 'extra');
    assert.equal(verdictOf(set('1.2.3.4'), set('9.9.9.9')), 'missed+extra');
    assert.equal(normalizeIp('2001:0db8:85a3:0000:0000:8a2e:0370:7334'), '2001:db8:85a3::8a2e:370:7334');
  });

  it('reads syslog-wrapped and vhost_combined lines as combined', () => {
    const combined = '1.2.3.4 - - [08/Jun/2020:08:04:43 +0000] "GET / HTTP/1.1" 200 8 "-" "curl/8"';
    assert.equal(toCombined(`Sep 15 16:13:46 ip-172-31-43-28 nginx[2869]: ${combined}`), combined);
    // vhost_combined is read by the nginx reader itself.
    const vhost = parseNginxLine(toCombined(`www.example.com ${combined}`));
    assert.ok(vhost.ok && vhost.record.ip === '1.2.3.4');
    assert.equal(toCombined(combined), combined);
  });

  const policy = loadPolicyFile(fileURLToPath(new URL('../examples/crowdsec-equivalent.yaml', import.meta.url)), { env: {} });
  const folder = (name: string): CorpusTest => {
    const index = JSON.parse(readFileSync(join(CORPUS_DIR, 'index.json'), 'utf8')) as CorpusTest[];
    return index.find((t) => t.test === name)!;
  };

  it('mitigates the sensitive-file prober of the hub test and reports other log formats as unsupported', { skip: !existsSync(CORPUS_DIR) && 'corpus not present' }, async () => {
    const hit = await runCorpusTest(CORPUS_DIR, folder('nginx-http-sensitive-files'), policy);
    assert.equal(hit.verdict, 'match');
    assert.deepEqual(hit.mitigated, ['127.0.0.1']);
    assert.deepEqual(hit.rules, ['sensitive-files']);
    const other = await runCorpusTest(CORPUS_DIR, folder('bunkerweb-bad-user-agent'), policy);
    assert.equal(other.verdict, 'unsupported');
  });
});
