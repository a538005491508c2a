/**
 * Decisions the gateway makes itself, before or instead of the engine: a request with too many
 * header fields, a body over the limit, a duplicate `Host`, a WebSocket upgrade, or a client that
 * left before the engine was asked. Observers get one record per request either way, so the decision
 * log and metrics see these too; they carry no rule and one reason, `gateway:<why>`.
 */
import type { Engine } from '../engine/engine.ts';
import type { Action, Decision, PendingCount } from '../engine/decision.ts';
import { RequestContext } from '../engine/request-context.ts';
import type { RampartRequest } from '../engine/request-context.ts';

/** Why the gateway decided on its own; the decision's reason is `gateway:<why>`. */
export type GatewayReason =
  | 'too_many_headers'
  | 'payload_too_large'
  | 'body_budget_exhausted'
  | 'bad_request'
  | 'upgrade_not_supported'
  | 'internal_error'
  | 'client_closed';

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const NO_PENDING: readonly PendingCount[] = Object.freeze([]) as readonly PendingCount[];

class GatewayDecision implements Decision {
  readonly action: Action;
  readonly intended: Action;
  readonly monitor = false;
  readonly rule = null;
  readonly reasons: readonly string[];
  readonly risk = 0;
  readonly status: number;
  readonly headers = NO_HEADERS;
  readonly retryAfter = 0;
  readonly error = null;
  readonly context: RequestContext;
  readonly pending = NO_PENDING;

  constructor(action: Action, status: number, reason: GatewayReason, context: RequestContext) {
    this.action = action;
    this.intended = action;
    this.status = status;
    this.reasons = [`gateway:${reason}`];
    this.context = context;
  }
}

/**
 * A decision for a request the gateway answered itself with `status` (deny), or, for
 * `client_closed`, one the client abandoned before it was decided (allow, status 0).
 *
 * @example
 * const decision = gatewayDecision(engine, { method: 'POST', url: '/login', headers, ip }, 413, 'payload_too_large');
 * decision.reasons // ['gateway:payload_too_large']
 */
export function gatewayDecision(engine: Engine, request: RampartRequest, status: number, reason: GatewayReason): Decision {
  const policy = engine.policy;
  const method = request.method.toUpperCase();
  let path = '/';
  try {
    path = policy.canonicalize(request.url);
  } catch {
    // An unparseable target is one of the reasons the gateway answers itself; '/' stands in.
  }
  const context = new RequestContext(request, method, path, policy.clientIp(request.ip, request.headers), engine.clock.now(), policy.signals);
  return new GatewayDecision(reason === 'client_closed' ? 'allow' : 'deny', reason === 'client_closed' ? 0 : status, reason, context);
}
