/**
 * Test helper (tests only): request records as the gateway reports them, with a real
 * RequestContext, for the decision log and metrics tests.
 */
import { NO_CLIENTS } from '../signals/clients/first-party-clients.ts';
import type { Decision } from '../engine/decision.ts';
import { RequestContext } from '../engine/request-context.ts';
import type { RampartRequest } from '../engine/request-context.ts';
import type { RequestRecord } from './request-observer.ts';

export const T0 = Date.parse('2026-11-23T10:00:00.123Z');

export interface RecordParts {
  request?: Partial<RampartRequest>;
  clientIp?: string;
  decision?: Partial<Omit<Decision, 'context'>>;
  record?: Partial<Omit<RequestRecord, 'decision'>>;
}

/**
 * An allowed `POST /api/auth/login` answered 401, with whatever the caller overrides.
 *
 * @example
 * const r = makeRecord({ decision: { action: 'throttle', rule: 'login' }, record: { status: 429 } });
 */
export function makeRecord(parts: RecordParts = {}): RequestRecord {
  const request: RampartRequest = { method: 'POST', url: '/api/auth/login', headers: { 'user-agent': 'curl/8.5', accept: 'application/json' }, ip: '10.0.0.1', ...parts.request };
  const context = new RequestContext(request, request.method.toUpperCase(), request.url.split('?')[0]!, parts.clientIp ?? '203.0.113.7', T0, { byName: new Map(), all: [], clients: NO_CLIENTS, logins: null });
  const action = parts.decision?.action ?? 'allow';
  const decision: Decision = {
    action,
    intended: action,
    monitor: false,
    rule: null,
    reasons: [],
    risk: 0,
    status: 0,
    headers: {},
    retryAfter: 0,
    error: null,
    pending: [],
    ...parts.decision,
    context,
  };
  return {
    startedAt: T0,
    status: 401,
    upstreamStatus: 401,
    upstreamFailure: null,
    decisionSeconds: 0.000004,
    upstreamSeconds: 0.0123,
    route: 'POST /api/auth/login',
    ...parts.record,
    decision,
  };
}
