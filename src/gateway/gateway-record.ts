/**
 * The {@link RequestRecord} the gateway hands to observers once per request. A plain value apart
 * from `route`, which is looked up on first read (from the policy that decided the request), so
 * observers that never read it never pay for it.
 */
import type { CompiledPolicy } from '../engine/compile-policy.ts';
import type { Decision } from '../engine/decision.ts';
import type { RequestRecord, UpstreamFailure } from '../observe/request-observer.ts';

const UNSET = Symbol('unset');

/**
 * One finished request.
 *
 * @example
 * const record = new GatewayRecord(Date.now(), decision, policy, 200, 200, null, 0.00002, 0.004);
 * record.route // 'POST /api/auth/login' when a rule with that template decided or matched
 */
export class GatewayRecord implements RequestRecord {
  readonly startedAt: number;
  readonly decision: Decision;
  readonly status: number;
  readonly upstreamStatus: number | null;
  readonly upstreamFailure: UpstreamFailure | null;
  readonly decisionSeconds: number;
  readonly upstreamSeconds: number | null;
  readonly #policy: CompiledPolicy;
  #route: string | null | typeof UNSET = UNSET;

  constructor(startedAt: number, decision: Decision, policy: CompiledPolicy, status: number, upstreamStatus: number | null, upstreamFailure: UpstreamFailure | null, decisionSeconds: number, upstreamSeconds: number | null) {
    this.startedAt = startedAt;
    this.decision = decision;
    this.#policy = policy;
    this.status = status;
    this.upstreamStatus = upstreamStatus;
    this.upstreamFailure = upstreamFailure;
    this.decisionSeconds = decisionSeconds;
    this.upstreamSeconds = upstreamSeconds;
  }

  /** The template of the rule that decided, else of the first matching rule; null if none matched. */
  get route(): string | null {
    if (this.#route === UNSET) this.#route = routeOf(this.#policy, this.decision);
    return this.#route;
  }
}

function routeOf(policy: CompiledPolicy, decision: Decision): string | null {
  try {
    const ids = policy.lookup(decision.context.method, decision.context.request.url).ids;
    if (ids.length === 0) return null;
    if (decision.rule !== null) {
      for (const id of ids) {
        const route = policy.routes[id]!;
        if (policy.rules[route.rule]!.name === decision.rule) return route.template;
      }
    }
    return policy.routes[ids[0]!]!.template;
  } catch {
    return null;
  }
}
