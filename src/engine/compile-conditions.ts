/**
 * A rule's `when` list compiled into one predicate. Regexes and CIDR sets are built here, once;
 * problems become config issues with their path.
 */
import { isRampartError } from '../errors.ts';
import type { ConfigIssue } from '../errors.ts';
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
