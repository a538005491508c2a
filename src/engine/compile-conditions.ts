/**
 * A rule's `when` list compiled into one predicate. Regexes and CIDR sets are built here, once;
 * problems become config issues with their path.
 */
import { isRampartError } from '../errors.ts';
import type { ConfigIssue } from '../errors.ts';
import { disposableEmailTest } from '../intel/disposable-email.ts';
import type { Intel } from '../intel/intel.ts';
import { CidrSet } from '../net/cidr.ts';
import type { ConditionInput, PolicyDocument } from '../policy/schema.ts';
import { identityReader } from './compile-keys.ts';
import type { RequestContext } from './request-context.ts';

export type Predicate = (ctx: RequestContext) => boolean;

/** Copies the per-entry issues of a RampartError (they carry their own paths), or the message under `path`. */
export function pushIssues(issues: ConfigIssue[], err: unknown, path: string): void {
  if (isRampartError(err) && err.issues.length > 0) issues.push(...err.issues);
  else issues.push({ path, message: (err as Error).message });
}

interface ValueTest {
  present?: boolean | undefined;
  equals?: string | string[] | undefined;
  matches?: string | undefined;
  ignore_case?: boolean | undefined;
}

export interface CompileConditionsContext {
  policy: PolicyDocument;
  knownSignals: ReadonlySet<string>;
  issues: ConfigIssue[];
  /** Set to true when a condition reads the body. */
  needsBody: { value: boolean };
  /** The policy's IP intelligence, or null when it has none. */
  intel: Intel | null;
}

const NO_DISPOSABLE_CONFIG = { builtin: true, add: [], except: [] };

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** The intel an `ip.*` condition needs, or an issue saying how to configure it. */
function needIntel(cx: CompileConditionsContext, path: string, what: 'asn' | 'country' | null): Intel | null {
  const intel = cx.intel;
  if (intel === null) {
    cx.issues.push({ path, message: 'IP conditions need an `intel` section, e.g. `intel: { sources: [{ name: asn, kind: asn-csv }] }` (see docs/intel.md)' });
    return null;
  }
  if (what === 'asn' && !intel.hasAsnSource) cx.issues.push({ path, message: 'needs an ASN source in `intel.sources` (kind `asn-csv` or `mmdb-asn`)' });
  if (what === 'country' && !intel.hasCountrySource) cx.issues.push({ path, message: 'needs a country source in `intel.sources` (kind `mmdb-country`)' });
  return intel;
}

function compileValueTest(test: ValueTest, path: string, cx: CompileConditionsContext): (value: string | undefined) => boolean {
  const checks: ((v: string) => boolean)[] = [];
  const fold = test.ignore_case === true;
  if (test.equals !== undefined) {
    const wanted = new Set((Array.isArray(test.equals) ? test.equals : [test.equals]).map((s) => (fold ? s.toLowerCase() : s)));
    checks.push(fold ? (v) => wanted.has(v.toLowerCase()) : (v) => wanted.has(v));
  }
  if (test.matches !== undefined) {
    try {
      const re = new RegExp(test.matches, fold ? 'i' : '');
      checks.push((v) => re.test(v));
    } catch (err) {
      cx.issues.push({ path: `${path}.matches`, message: `not a valid regular expression: ${(err as Error).message}` });
    }
  }
  if (test.present === false) {
    if (checks.length > 0) cx.issues.push({ path, message: '`present: false` cannot be combined with `equals` or `matches`' });
    return (v) => v === undefined;
  }
  if (checks.length === 0) return (v) => v !== undefined;
  if (checks.length === 1) {
    const only = checks[0]!;
    return (v) => v !== undefined && only(v);
  }
  return (v) => v !== undefined && checks.every((c) => c(v));
}

function compileOne(c: ConditionInput, path: string, cx: CompileConditionsContext): Predicate {
  if ('ip' in c) {
    try {
      const set = new CidrSet(c.ip, { label: `${path}.ip` });
      return (ctx) => set.has(ctx.clientIp);
    } catch (err) {
      pushIssues(cx.issues, err, `${path}.ip`);
      return () => false;
    }
  }
  if ('method' in c) {
    const methods = new Set(c.method.map((m) => m.toUpperCase()));
    return (ctx) => methods.has(ctx.method);
  }
  if ('header' in c) {
    const name = c.header.name.toLowerCase();
    const test = compileValueTest(c.header, `${path}.header`, cx);
    return (ctx) => test(ctx.header(name));
  }
  if ('query' in c) {
    const name = c.query.name;
    const test = compileValueTest(c.query, `${path}.query`, cx);
    return (ctx) => test(ctx.query(name));
  }
  if ('body' in c) {
    cx.needsBody.value = true;
    const field = c.body.field.split('.');
    const test = compileValueTest(c.body, `${path}.body`, cx);
    return (ctx) => test(ctx.bodyField(field));
  }
  if ('present' in c) {
    if (c.present === 'user' && cx.policy.identities.user.body !== undefined) cx.needsBody.value = true;
    const read = identityReader(cx.policy.identities, c.present);
    return (ctx) => read(ctx, '') !== undefined;
  }
  if ('risk' in c) {
    const gte = c.risk.gte ?? 0;
    const lt = c.risk.lt ?? Infinity;
    if (c.risk.gte === undefined && c.risk.lt === undefined) cx.issues.push({ path: `${path}.risk`, message: 'give `gte`, `lt` or both, e.g. `risk: { gte: 50 }`' });
    return (ctx) => {
      const r = ctx.risk();
      return r >= gte && r < lt;
    };
  }
  if ('signal' in c) {
    const name = c.signal;
    if (!cx.knownSignals.has(name)) {
      cx.issues.push({ path: `${path}.signal`, message: `unknown signal \`${name}\`; known: ${[...cx.knownSignals].sort().join(', ') || 'none'}` });
    }
    return (ctx) => ctx.finding(name) !== null;
  }
  if ('client' in c) {
    const name = c.client;
    if (!cx.policy.clients.some((d) => d.name === name)) {
      const declared = cx.policy.clients.map((d) => d.name);
      cx.issues.push({ path: `${path}.client`, message: `no client \`${name}\` is declared under \`clients\`${declared.length > 0 ? `; declared: ${declared.join(', ')}` : ''}` });
    }
    return (ctx) => {
      const client = ctx.client();
      return client !== null && client.missing === null && client.name === name;
    };
  }
  if ('ip.category' in c) {
    const where = `${path}.ip.category`;
    const intel = needIntel(cx, where, null);
    if (intel === null) return () => false;
    let bits = 0;
    for (const name of list(c['ip.category'])) {
      const bit = intel.categoryBit(name);
      if (bit === 0) cx.issues.push({ path: where, message: `unknown category \`${name}\`; known: ${intel.categoryNames.join(', ')} (a list source's \`category\` adds one)` });
      bits |= bit;
    }
    return (ctx) => ctx.intel()?.has(bits) === true;
  }
  if ('ip.asn' in c) {
    if (needIntel(cx, `${path}.ip.asn`, 'asn') === null) return () => false;
    const asns = new Set(list(c['ip.asn']));
    return (ctx) => {
      const a = ctx.intel();
      return a !== null && asns.has(a.asn);
    };
  }
  if ('ip.org' in c) {
    if (needIntel(cx, `${path}.ip.org`, 'asn') === null) return () => false;
    const test = compileValueTest(c['ip.org'], `${path}.ip.org`, cx);
    return (ctx) => test(ctx.intel()?.org ?? undefined);
  }
  if ('ip.country' in c) {
    if (needIntel(cx, `${path}.ip.country`, 'country') === null) return () => false;
    const countries = new Set(list(c['ip.country']).map((x) => x.toUpperCase()));
    return (ctx) => {
      const country = ctx.intel()?.country;
      return country != null && countries.has(country);
    };
  }
  if ('disposable_email' in c) {
    cx.needsBody.value = true;
    const field = c.disposable_email.body.split('.');
    const isDisposable = disposableEmailTest(cx.policy.intel?.disposable_email ?? NO_DISPOSABLE_CONFIG);
    return (ctx) => {
      const email = ctx.bodyField(field);
      return email !== undefined && isDisposable(email);
    };
  }
  if ('any' in c) {
    const parts = c.any.map((x, i) => compileOne(x, `${path}.any[${i}]`, cx));
    return (ctx) => parts.some((p) => p(ctx));
  }
  if ('all' in c) return compileConditions(c.all, `${path}.all`, cx);
  if ('not' in c) {
    const inner = compileOne(c.not, `${path}.not`, cx);
    return (ctx) => !inner(ctx);
  }
  return () => false;
}

/** Compiles a list of conditions into one predicate that holds when all do (in order, stopping at the first that fails). */
export function compileConditions(list: readonly ConditionInput[], path: string, cx: CompileConditionsContext): Predicate {
  const parts = list.map((c, i) => compileOne(c, `${path}[${i}]`, cx));
  if (parts.length === 1) return parts[0]!;
  return (ctx) => {
    for (const p of parts) if (!p(ctx)) return false;
    return true;
  };
}
