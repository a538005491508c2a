/**
 * The operator's own clients (a mobile app, a partner integration, a CLI) declared in the policy's
 * `clients:` list, so that detection recognises them instead of flagging their HTTP library or their
 * unusual headers. A client is recognised when its user agent matches the declared pattern and it
 * sends every declared header; a request whose user agent claims a declared client without those
 * headers is an impostor (signal `client.impostor`).
 */
import type { ConfigIssue } from '../../errors.ts';
import type { RequestHeaders } from '../../engine/request-context.ts';

/** One `clients:` entry as written in the policy. */
export interface ClientDeclaration {
  name: string;
  user_agent: string;
  headers?: string[] | undefined;
}

export interface ClientMatch {
  /** The declared client's name. */
  readonly name: string;
  /** Null when recognised; otherwise the first declared header the request lacks (an impostor). */
  readonly missing: string | null;
}

export type ClientMatcher = (userAgent: string | undefined, headers: RequestHeaders) => ClientMatch | null;

/** Matches nothing: a policy without `clients:`. */
export const NO_CLIENTS: ClientMatcher = () => null;

/**
 * Compiles the `clients:` list. Regex errors become config issues under `clients[i].user_agent`.
 *
 * @example
 * const match = compileClients([{ name: 'shop-app', user_agent: '^ShopApp/', headers: ['x-app-version'] }], 'clients', issues);
 * match('ShopApp/3.2 (iOS 18)', { 'x-app-version': '3.2' }) // { name: 'shop-app', missing: null }
 */
export function compileClients(list: readonly ClientDeclaration[], path: string, issues: ConfigIssue[]): ClientMatcher {
  if (list.length === 0) return NO_CLIENTS;
  const compiled: { name: string; ua: RegExp; headers: string[] }[] = [];
  list.forEach((c, i) => {
    try {
      compiled.push({ name: c.name, ua: new RegExp(c.user_agent), headers: (c.headers ?? []).map((h) => h.toLowerCase()) });
    } catch (err) {
      issues.push({ path: `${path}[${i}].user_agent`, message: `not a valid regular expression: ${(err as Error).message}` });
    }
  });
  return (userAgent, headers) => {
    if (userAgent === undefined) return null;
    for (const c of compiled) {
      if (!c.ua.test(userAgent)) continue;
      for (const h of c.headers) if (headers[h] === undefined) return { name: c.name, missing: h };
      return { name: c.name, missing: null };
    }
    return null;
  };
}
