/**
 * Disposable e-mail domains: the `disposable-email-domains` package's list plus the operator's, minus
 * their exceptions. An address matches when its domain or any parent domain is listed, so
 * `x@mx.mailinator.com` matches `mailinator.com`.
 */
import { createRequire } from 'node:module';
import type { IntelDocument } from '../policy/schema.ts';

let bundled: ReadonlySet<string> | null = null;

function bundledDomains(): ReadonlySet<string> {
  if (bundled === null) {
    const require = createRequire(import.meta.url);
    bundled = new Set((require('disposable-email-domains') as string[]).map((d) => d.toLowerCase()));
  }
  return bundled;
}

/** Tells whether an e-mail address is at a disposable domain. */
export type DisposableEmailTest = (email: string) => boolean;

/** Domains longer than this are not looked up part by part (a hostile value costs one check). */
const MAX_DOMAIN = 253;

/**
 * @example
 * const isDisposable = disposableEmailTest({ builtin: true, add: ['throwaway.test'], except: [] });
 * isDisposable('bob@sub.throwaway.test'); // true
 * isDisposable('alice@example.com');      // false
 */
export function disposableEmailTest(config: IntelDocument['disposable_email']): DisposableEmailTest {
  const base = config.builtin ? bundledDomains() : new Set<string>();
  const extra = new Set(config.add.map(normaliseDomain));
  const except = new Set(config.except.map(normaliseDomain));
  const listed = (d: string) => !except.has(d) && (extra.has(d) || base.has(d));
  return (email) => {
    const at = email.lastIndexOf('@');
    if (at < 0) return false;
    let domain = normaliseDomain(email.slice(at + 1));
    if (domain === '' || domain.length > MAX_DOMAIN) return false;
    for (;;) {
      if (except.has(domain)) return false;
      if (listed(domain)) return true;
      const dot = domain.indexOf('.');
      if (dot < 0) return false;
      domain = domain.slice(dot + 1);
    }
  };
}

function normaliseDomain(d: string): string {
  let x = d.trim().toLowerCase();
  if (x.endsWith('.')) x = x.slice(0, -1);
  return x;
}
