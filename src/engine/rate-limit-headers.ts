/**
 * Response headers for limits, in the syntax of draft-ietf-httpapi-ratelimit-headers-10:
 * `RateLimit-Policy: "login";q=5;w=60` and `RateLimit: "login";r=0;t=42`, optionally the legacy
 * `X-RateLimit-Limit / -Remaining / -Reset` trio (Reset in epoch seconds, as GitHub and most clients expect).
 */
import type { LimitOutcome } from '../stores/types.ts';
import type { CompiledRule } from './compile-policy.ts';

export type HeadersMode = 'draft' | 'legacy' | 'both' | 'none';

/**
 * Builds the headers for the limits a request went through. `calls[i].rule` produced `outcomes[i]`; rules
 * with headers turned off are skipped. Legacy headers describe the most constrained limit.
 */
export function rateLimitHeaders(
  mode: HeadersMode,
  calls: readonly { readonly rule: CompiledRule }[],
  outcomes: readonly LimitOutcome[],
  now: number,
  out: Record<string, string>,
): void {
  if (mode === 'none') return;
  let policy = '';
  let state = '';
  let tightest = -1;
  for (let i = 0; i < calls.length; i++) {
    const rule = calls[i]!.rule;
    if (!rule.sendHeaders) continue;
    const o = outcomes[i]!;
    if (tightest === -1 || o.remaining < outcomes[tightest]!.remaining) tightest = i;
    if (mode === 'legacy') continue;
    const sep = policy === '' ? '' : ', ';
    policy += sep + rule.policyHeader;
    state += `${sep}"${rule.name}";r=${o.remaining};t=${Math.ceil(o.resetMs / 1000)}`;
  }
  if (tightest === -1) return;
  if (mode !== 'legacy') {
    out['ratelimit-policy'] = policy;
    out['ratelimit'] = state;
  }
  if (mode !== 'draft') {
    const o = outcomes[tightest]!;
    out['x-ratelimit-limit'] = String(calls[tightest]!.rule.quota);
    out['x-ratelimit-remaining'] = String(o.remaining);
    out['x-ratelimit-reset'] = String(Math.ceil((now + o.resetMs) / 1000));
  }
}
