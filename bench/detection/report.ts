// The detection section of BENCHMARKS.md, from a score: one table for the attacks, one for the
// legitimate population, and the goals with met / not met.
import { MITIGATIONS, SUCCESS_NAMES } from './score.ts';
import type { DetectionScore, ScenarioScore } from './score.ts';
import type { Scenario } from './types.ts';

/** The goals. */
export const GOALS = { naiveShare: 0.99, naiveSeconds: 10, distributedLetThrough: 0.05, legitAffected: 0.005 } as const;

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;
const n = (x: number) => x.toLocaleString('en-US');
const secs = (ms: number | null) => (ms === null ? 'never' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 60_000 ? 2 : 0)} s`);
const byRule = (m: ReadonlyMap<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([rule, k]) => `${rule} ${n(k)}`).join(', ') || '—';
const actions = (c: Readonly<Record<string, number>>) => MITIGATIONS.filter((m) => c[m]! > 0).map((m) => `${m} ${n(c[m]!)}`).join(', ') || '—';

export interface GoalResult {
  readonly goal: string;
  readonly result: string;
  readonly met: boolean;
}

/** Whether each goal holds in `score`. */
export function checkGoals(score: DetectionScore, scenarios: readonly Scenario[]): GoalResult[] {
  const byId = new Map(score.scenarios.map((s) => [s.id, s]));
  const naive = scenarios.filter((s) => s.naive).map((s) => byId.get(s.id)!).filter((s) => s !== undefined);
  const naiveOk = (s: ScenarioScore) => s.mitigatedShare >= GOALS.naiveShare && s.timeToFirstMitigationMs !== null && s.timeToFirstMitigationMs <= GOALS.naiveSeconds * 1000;
  const dist = byId.get('stuffing-distributed');
  const distShare = dist === undefined || dist.successesPossible === 0 ? 0 : dist.successesLetThrough / dist.successesPossible;
  const legit = score.legit;
  const nat = ['cgnat', 'office', 'vpn', 'cloud-egress'].map((c) => legit.cohorts.get(c) ?? { users: 0, affected: 0 });
  const natUsers = nat.reduce((s, c) => s + c.users, 0);
  const natAffected = nat.reduce((s, c) => s + c.affected, 0);
  return [
    {
      goal: `naive attacks ≥ ${pct(GOALS.naiveShare, 0)} mitigated within ${GOALS.naiveSeconds} s`,
      result: naive.map((s) => `${s.id} ${pct(s.mitigatedShare)} in ${secs(s.timeToFirstMitigationMs)}${naiveOk(s) ? '' : ' ✗'}`).join('; '),
      met: naive.every(naiveOk),
    },
    {
      goal: `distributed credential stuffing lets through ≤ ${pct(GOALS.distributedLetThrough, 0)} of its valid-credential hits`,
      result: dist === undefined ? 'not run' : `${n(dist.successesLetThrough)} of ${n(dist.successesPossible)} (${pct(distShare)})`,
      met: dist !== undefined && distShare <= GOALS.distributedLetThrough,
    },
    {
      goal: `legitimate users affected ≤ ${pct(GOALS.legitAffected)} (shared NAT included)`,
      result: `${n(legit.affectedUsers)} of ${n(legit.users)} (${pct(legit.users === 0 ? 0 : legit.affectedUsers / legit.users, 2)}); behind shared addresses ${n(natAffected)} of ${n(natUsers)}`,
      met: legit.users > 0 && legit.affectedUsers / legit.users <= GOALS.legitAffected,
    },
    {
      goal: 'no legitimate user denied outright',
      result: `${n(legit.usersByWorstAction.deny)} denied`,
      met: legit.usersByWorstAction.deny === 0,
    },
  ];
}

export interface ReportInput {
  readonly score: DetectionScore;
  readonly scenarios: readonly Scenario[];
  readonly records: number;
  /** Legitimate users simulated (the population's size). */
  readonly users: number;
  readonly addressSource: string;
  readonly seed: number;
  readonly command: string;
  readonly machine: string;
  readonly generateMs: number;
  readonly replayMs: number;
}

/** The markdown of the `detection` section. */
export function detectionMarkdown(r: ReportInput): string {
  const { score } = r;
  const desc = new Map(r.scenarios.map((s) => [s.id, s]));
  const rows = score.scenarios.map((s) => {
    const sc = desc.get(s.id);
    const success = sc === undefined ? '' : `${n(s.successesLetThrough)} of ${n(s.successesPossible)} ${SUCCESS_NAMES[sc.success]}`;
    return `| ${s.id}${sc?.naive === true ? ' (naive)' : ''} | ${n(s.requests)} | **${pct(s.mitigatedShare)}** | ${actions(s.byAction)} | ${success} | ${secs(s.timeToFirstMitigationMs)} | ${n(s.actorsMitigated)} / ${n(s.actors)} | ${byRule(s.rules)} |`;
  });
  const legit = score.legit;
  const cohortRows = [...legit.cohorts].sort((a, b) => b[1].users - a[1].users).map(([c, v]) => `${c} ${n(v.affected)} / ${n(v.users)}`);
  const goals = checkGoals(score, r.scenarios).map((g) => `| ${g.goal} | ${g.result} | ${g.met ? 'met' : '**not met**'} |`);
  const scenarioList = r.scenarios.map((s) => `- \`${s.id}\`${s.naive ? ' (naive)' : ''}: ${s.description}`);
  return `## Detection: labelled attacks and legitimate traffic through the shop policy

Command: \`${r.command}\` (${r.machine}). A seeded simulator (seed ${r.seed}) writes two hours of labelled
shop traffic, ${n(r.records)} records (${n(score.legit.requests)} legitimate), in the decision-log format; replay runs
\`examples/shop/rampart.yaml\` over it in-process (the same runner as \`rampart replay\`) and each decision is joined
with its label. Generation ${(r.generateMs / 1000).toFixed(1)} s, replay ${(r.replayMs / 1000).toFixed(1)} s. Addresses: ${r.addressSource}.

| goal (issue 7) | this run | |
| --- | --- | --- |
${goals.join('\n')}

Attacks: the share of each scenario's requests mitigated (not allowed), how, what the attacker still
got (requests that would succeed, e.g. a valid password, and were allowed), the time from the scenario's
first request to its first mitigated one, and how many of its sources (addresses or workers) met a mitigation.

| scenario | requests | mitigated | by action | successes let through | first mitigation | sources hit | by rule |
| --- | ---: | ---: | --- | --- | ---: | ---: | --- |
${rows.join('\n')}

Legitimate traffic: ${n(legit.affectedRequests)} of ${n(legit.requests)} requests affected (${pct(legit.requests === 0 ? 0 : legit.affectedRequests / legit.requests, 3)}; ${actions(legit.requestsByAction)});
${n(legit.affectedUsers)} of ${n(legit.users)} users affected (${pct(legit.users === 0 ? 0 : legit.affectedUsers / legit.users, 2)}; by the strongest action each met: ${actions(legit.usersByWorstAction)}).
Affected / users per cohort: ${cohortRows.join(', ')}.
Users affected per rule: ${byRule(legit.rules)}.

What is simulated. The legitimate population: ${n(r.users)} people on desktop Chrome (with \`sec-ch-ua\` and Chrome's
header order), Safari on iOS, Firefox and the shop's app (its own user agent and \`x-app-version\`), with
log-normal think times (median 6 s); 60% at home on consumer broadband, 20% behind mobile carrier-grade NAT
(40 users per address), 10% in offices (30 per address, visiting at lunch), 6% on VPN exits (20 per
address), 4% on cloud egress (15 per address); 60% of visits sign in (8% of sign-ins mistype once, 2% have
forgotten the password and fail 2–8 times, half of those past five giving up), 10% of sign-ins get a 2FA text
(15% of those ask again, up to three more times, 20–60 s apart), they browse, view their account, fill carts and
check out, redeem referral codes, sign up; one in 150 is a fan trying for the limited drop; a partner
integration polls the catalogue every minute with an API key. The attacks:

${scenarioList.join('\n')}

The shop's answers follow examples/shop/server.ts (401 for a wrong password, 200 for a right one, 403 for
someone else's user id, 404 for a missing one, 409 once the drop is sold out). The log records what the
unprotected shop would answer; a request the policy refuses never reaches it, so its success is not counted,
but later requests keep their recorded answers (the drop's buyers are settled in the unprotected order).

Reproduce by hand: \`node bench/detection/simulate.ts --out /tmp/detection\` writes \`traffic.jsonl\` and
\`labels.jsonl\`, then \`rampart replay --config examples/shop/rampart.yaml --input /tmp/detection/traffic.jsonl
--labels /tmp/detection/labels.jsonl --summary --output /dev/null\` gives the overall precision and recall.
Scenarios and how to add one: \`bench/detection/README.md\`.`;
}
