// Scores a replay of labelled traffic: the replay's decisions joined with the labels, per attack
// scenario and for the legitimate population. Pure arithmetic in scoreDecisions (tested by hand in
// test/detection-bench.test.ts); replayDecisions runs the real replay runner in-process.
import { Writable } from 'node:stream';
import type { Action } from '../../src/engine/decision.ts';
import type { PolicyDocument } from '../../src/policy/schema.ts';
import { parseJsonlLine } from '../../src/replay/jsonl-reader.ts';
import { runReplay } from '../../src/replay/replay-runner.ts';
import type { ReplayStats } from '../../src/replay/replay-runner.ts';
import type { Label, SuccessKind } from './types.ts';

/** Non-allow actions, in the order they are reported. */
export const MITIGATIONS = ['throttle', 'deny', 'challenge', 'tarpit'] as const;
export type Mitigation = (typeof MITIGATIONS)[number];
type Counts = Record<Mitigation, number>;

export interface ScenarioScore {
  readonly id: string;
  readonly requests: number;
  /** Requests not allowed, by action. */
  readonly mitigated: number;
  readonly byAction: Readonly<Counts>;
  /** mitigated / requests (0 for an empty scenario). */
  readonly mitigatedShare: number;
  /** Requests that would have given the attacker something (a valid login, a page…). */
  readonly successesPossible: number;
  /** Of those, the ones the policy let through. */
  readonly successesLetThrough: number;
  /** From the scenario's first request to its first mitigated request; null when nothing was mitigated. */
  readonly timeToFirstMitigationMs: number | null;
  /** Distinct `actor`s (addresses or workers) with at least one mitigated request, of all. */
  readonly actors: number;
  readonly actorsMitigated: number;
  /** Mitigated requests per deciding rule. */
  readonly rules: ReadonlyMap<string, number>;
}

export interface LegitScore {
  readonly requests: number;
  readonly affectedRequests: number;
  readonly requestsByAction: Readonly<Counts>;
  readonly users: number;
  /** Users with at least one request not allowed. */
  readonly affectedUsers: number;
  /** Users per strongest action they met (deny > challenge > tarpit > throttle). */
  readonly usersByWorstAction: Readonly<Counts>;
  /** Per cohort (the part of `actor` after `:`, e.g. `cgnat`): users and affected users. */
  readonly cohorts: ReadonlyMap<string, { users: number; affected: number }>;
  /** Users affected per deciding rule (a user met by two rules counts under both). */
  readonly rules: ReadonlyMap<string, number>;
}

/** Record i is described by `ts[i]`, `labels[i]`, `actions[i]` and (optionally) `rules[i]`. */
export interface ScoreInput {
  readonly ts: readonly number[];
  readonly labels: readonly Label[];
  readonly actions: readonly Action[];
  /** The deciding rule of each record (null when none decided). */
  readonly rules?: readonly (string | null)[];
  /** Scenario ids in report order: listed ones come first, with an empty row when they have no records. */
  readonly order?: readonly string[];
}

export interface DetectionScore {
  readonly scenarios: readonly ScenarioScore[];
  readonly legit: LegitScore;
}

const zero = (): Counts => ({ throttle: 0, deny: 0, challenge: 0, tarpit: 0 });
const WORST: readonly Mitigation[] = ['deny', 'challenge', 'tarpit', 'throttle'];

/**
 * Joins decisions with labels, per attack scenario and for the legitimate population.
 *
 * @example
 * const bot = { malicious: true, scenario: 'x', actor: 'a' };
 * scoreDecisions({ ts: [0, 1000], labels: [bot, bot], actions: ['allow', 'deny'] })
 * // scenarios[0]: { requests: 2, mitigated: 1, mitigatedShare: 0.5, timeToFirstMitigationMs: 1000, … }
 */
export function scoreDecisions(input: ScoreInput): DetectionScore {
  const { ts, labels, actions } = input;
  const ruleOf = input.rules ?? [];
  if (ts.length !== labels.length || labels.length !== actions.length || (input.rules !== undefined && ruleOf.length !== actions.length)) {
    throw new Error(`score: ${ts.length} timestamps, ${labels.length} labels, ${actions.length} decisions${input.rules === undefined ? '' : `, ${ruleOf.length} rules`}`);
  }
  interface Acc { requests: number; byAction: Counts; possible: number; through: number; first: number; firstMitigated: number; actors: Set<string>; actorsHit: Set<string>; rules: Map<string, number> }
  const acc = new Map<string, Acc>();
  const get = (id: string): Acc => {
    let a = acc.get(id);
    if (a === undefined) acc.set(id, (a = { requests: 0, byAction: zero(), possible: 0, through: 0, first: Infinity, firstMitigated: Infinity, actors: new Set(), actorsHit: new Set(), rules: new Map() }));
    return a;
  };
  for (const id of input.order ?? []) get(id);
  const legit = { requests: 0, byAction: zero() };
  const users = new Map<string, Mitigation | null>();
  const legitRuleUsers = new Map<string, Set<string>>();

  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    const action = actions[i]!;
    const mitigated = action !== 'allow';
    const rule = mitigated ? (ruleOf[i] ?? '(no rule)') : null;
    if (!label.malicious) {
      legit.requests++;
      const prev = users.get(label.actor) ?? null;
      if (mitigated) {
        let set = legitRuleUsers.get(rule!);
        if (set === undefined) legitRuleUsers.set(rule!, (set = new Set()));
        set.add(label.actor);
        legit.byAction[action]++;
        users.set(label.actor, prev === null || WORST.indexOf(action) < WORST.indexOf(prev) ? action : prev);
      } else if (!users.has(label.actor)) users.set(label.actor, null);
      continue;
    }
    const a = get(label.scenario);
    a.requests++;
    a.actors.add(label.actor);
    a.first = Math.min(a.first, ts[i]!);
    if (label.success !== undefined) a.possible++;
    if (mitigated) {
      a.byAction[action]++;
      a.rules.set(rule!, (a.rules.get(rule!) ?? 0) + 1);
      a.firstMitigated = Math.min(a.firstMitigated, ts[i]!);
      a.actorsHit.add(label.actor);
    } else if (label.success !== undefined) a.through++;
  }

  const scenarios: ScenarioScore[] = [...acc].map(([id, a]) => {
    const mitigated = MITIGATIONS.reduce((s, m) => s + a.byAction[m], 0);
    return {
      id,
      requests: a.requests,
      mitigated,
      byAction: a.byAction,
      mitigatedShare: a.requests === 0 ? 0 : mitigated / a.requests,
      successesPossible: a.possible,
      successesLetThrough: a.through,
      timeToFirstMitigationMs: a.firstMitigated === Infinity ? null : a.firstMitigated - a.first,
      actors: a.actors.size,
      actorsMitigated: a.actorsHit.size,
      rules: a.rules,
    };
  });
  const usersByWorstAction = zero();
  const cohorts = new Map<string, { users: number; affected: number }>();
  let affectedUsers = 0;
  for (const [actor, worst] of users) {
    const cohort = actor.includes(':') ? actor.slice(actor.indexOf(':') + 1) : 'other';
    let c = cohorts.get(cohort);
    if (c === undefined) cohorts.set(cohort, (c = { users: 0, affected: 0 }));
    c.users++;
    if (worst !== null) {
      affectedUsers++;
      c.affected++;
      usersByWorstAction[worst]++;
    }
  }
  return {
    scenarios,
    legit: {
      requests: legit.requests,
      affectedRequests: MITIGATIONS.reduce((s, m) => s + legit.byAction[m], 0),
      requestsByAction: legit.byAction,
      users: users.size,
      affectedUsers,
      usersByWorstAction,
      cohorts,
      rules: new Map([...legitRuleUsers].map(([rule, set]) => [rule, set.size])),
    },
  };
}

/** The action and deciding rule of each output line of `runReplay`, in order. */
class ActionCollector extends Writable {
  readonly actions: Action[] = [];
  readonly rules: (string | null)[] = [];
  #rest = '';

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    const text = this.#rest + chunk.toString();
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      const at = text.indexOf('"action":"', start);
      // An unparsable record has no action: it was not decided, count it as let through.
      this.actions.push(at === -1 || at > end ? 'allow' : (text.slice(at + 10, text.indexOf('"', at + 10)) as Action));
      // Rule names need no escaping (the schema limits them to [A-Za-z0-9_.-]).
      const r = text.indexOf('"rule":"', start);
      this.rules.push(r === -1 || r > end ? null : text.slice(r + 8, text.indexOf('"', r + 8)));
      start = end + 1;
    }
    this.#rest = text.slice(start);
    callback();
  }
}

/**
 * Replays `lines` (decision-log JSON lines) through `policy` with the real replay runner and returns
 * each record's action and deciding rule.
 */
export async function replayDecisions(policy: PolicyDocument, lines: readonly string[]): Promise<{ actions: Action[]; rules: (string | null)[]; stats: ReplayStats }> {
  const output = new ActionCollector();
  const stats = await runReplay({ policy, lines, parse: parseJsonlLine, output });
  if (output.actions.length !== lines.length) throw new Error(`replay gave ${output.actions.length} decisions for ${lines.length} records`);
  return { actions: output.actions, rules: output.rules, stats };
}

/** What a scenario's success is called in the report. */
export const SUCCESS_NAMES: Readonly<Record<SuccessKind, string>> = {
  login: 'valid logins found',
  page: 'pages scraped',
  sms: 'texts sent to the victim',
  purchase: 'items bought',
  account: 'accounts created',
  record: 'accounts confirmed',
  probe: 'probes answered',
};
