/**
 * A rule's `key` compiled into one function from the request context to a store key.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createIpPrefixKey } from '../net/prefix.ts';
import type { PolicyDocument } from '../policy/schema.ts';
import type { RequestContext } from './request-context.ts';

/** Returns the key, or null when a part is missing (the rule decides what that means). */
export type KeyFunction = (ctx: RequestContext, route: string) => string | null;
type PartFunction = (ctx: RequestContext, route: string) => string | undefined;

/** Longer values are hashed, so a 4 KiB header cannot make a 4 KiB store key. */
const MAX_KEY_PART = 128;
/** The store contract's bound on a distinct member (`LimitCall.member`). */
const MAX_MEMBER = 64;

function bound(value: string, max = MAX_KEY_PART): string {
  if (value.length <= max) return value;
  return `#${createHash('sha256').update(value).digest('base64url')}`;
}

/** Identities that people type (user names, e-mail addresses) are compared trimmed and lower-cased, so `Alice ` and `alice` share one limit. */
function normaliseTyped(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  return v === '' ? undefined : v;
}

/** Where the `api_key` and `user` identities come from. */
export function identityReader(identities: PolicyDocument['identities'], which: 'api_key' | 'user'): PartFunction {
  if (which === 'api_key') {
    const header = identities.api_key.header?.toLowerCase();
    const query = identities.api_key.query;
    return (ctx) => (header !== undefined ? ctx.header(header) : undefined) ?? (query !== undefined ? ctx.query(query) : undefined);
  }
  const header = identities.user.header?.toLowerCase();
  const bodyPath = identities.user.body?.split('.');
  return (ctx) => (header !== undefined ? normaliseTyped(ctx.header(header)) : undefined) ?? (bodyPath !== undefined ? normaliseTyped(ctx.bodyField(bodyPath)) : undefined);
}

/** Per-process key for `hmac:` parts when the policy sets no `identities.hash_key`. */
let processHashKey: Buffer | null = null;

/**
 * `hmac:<part>`: the part's value replaced by a keyed hash, so a secret (a password, for spraying
 * detection) can be counted without the value ever reaching the store or its keys.
 */
function hashedPart(inner: PartFunction, policy: PolicyDocument): PartFunction {
  const key = policy.identities.hash_key ?? (processHashKey ??= randomBytes(32));
  return (ctx, route) => {
    const v = inner(ctx, route);
    return v === undefined ? undefined : `h:${createHmac('sha256', key).update(v).digest('base64url').slice(0, 22)}`;
  };
}

function compilePart(part: string, policy: PolicyDocument): PartFunction {
  if (part.startsWith('hmac:body:')) {
    // Secrets are compared exactly: `Secret1` and `secret1 ` are different passwords.
    const path = part.slice('hmac:body:'.length).split('.');
    return hashedPart((ctx) => ctx.bodyField(path), policy);
  }
  if (part.startsWith('hmac:')) return hashedPart(compilePart(part.slice(5), policy), policy);
  const v4 = policy.client_ip.ipv4_prefix;
  const v6 = policy.client_ip.ipv6_prefix;
  switch (part) {
    case 'ip':
      return (ctx) => ctx.clientIp;
    case 'ip_prefix': {
      const prefixOf = createIpPrefixKey({ v4Bits: v4, v6Bits: v6 });
      return (ctx) => prefixOf(ctx.clientIp);
    }
    case 'asn':
      return (ctx) => {
        const asn = ctx.intel()?.asn ?? 0;
        return asn === 0 ? undefined : `AS${asn}`;
      };
    case 'api_key':
      return identityReader(policy.identities, 'api_key');
    case 'user':
      return identityReader(policy.identities, 'user');
    case 'route':
      return (_ctx, route) => route;
    case 'path':
      return (ctx) => ctx.path;
    case 'global':
      return () => '*';
    case 'method':
      return (ctx) => ctx.method;
    case 'fingerprint':
      return (ctx) => ctx.fingerprint();
  }
  const colon = part.indexOf(':');
  const kind = part.slice(0, colon);
  const name = part.slice(colon + 1);
  if (kind === 'header') {
    const lower = name.toLowerCase();
    return (ctx) => ctx.header(lower);
  }
  if (kind === 'query') return (ctx) => ctx.query(name);
  const path = name.split('.');
  return (ctx) => normaliseTyped(ctx.bodyField(path));
}

/** True when evaluating the key needs the parsed body. */
export function keyNeedsBody(parts: readonly string[], policy: PolicyDocument): boolean {
  return parts.some((p) => p.startsWith('body:') || p.startsWith('hmac:body:') || (p === 'user' && policy.identities.user.body !== undefined));
}

/**
 * Compiles a limit's `distinct` part: the member a request counts as (at most 64 characters; longer
 * values are hashed), or null when the request lacks it.
 */
export function compileMember(part: string, policy: PolicyDocument): KeyFunction {
  return boundedPart(compilePart(part, policy), MAX_MEMBER);
}

/** One part as a key function: its value cut to `max` characters by hashing, or null when missing. */
function boundedPart(fn: PartFunction, max: number): KeyFunction {
  return (ctx, route) => {
    const v = fn(ctx, route);
    return v === undefined ? null : bound(v, max);
  };
}

/**
 * Compiles key parts. One part: its value. Several: each value length-prefixed, so that no choice of
 * values can make two different tuples collide (`a|b`+`c` vs `a`+`b|c`).
 */
export function compileKey(parts: readonly string[], policy: PolicyDocument): KeyFunction {
  const fns = parts.map((p) => compilePart(p, policy));
  if (fns.length === 1) return boundedPart(fns[0]!, MAX_KEY_PART);
  return (ctx, route) => {
    let key = '';
    for (const fn of fns) {
      const v = fn(ctx, route);
      if (v === undefined) return null;
      const b = bound(v);
      key += `${b.length}:${b}`;
    }
    return key;
  };
}
