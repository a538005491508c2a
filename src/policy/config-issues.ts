/**
 * Turns zod's validation issues into {@link ConfigIssue}s a person can act on: the path written the way
 * the file reads (`rules[3].limit.rate`), what was found, what is allowed, and for a misspelt key the
 * nearest allowed one.
 */
import type { z } from 'zod';
import type { ConfigIssue } from '../errors.ts';

type Issue = z.core.$ZodIssue;

/** `['rules', 3, 'limit', 'rate']` → `rules[3].limit.rate`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function describeFound(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'an object';
  const text = JSON.stringify(input);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** Levenshtein distance, for "did you mean" on misspelt keys; inputs are short key names. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** Reaches into zod's definition to list the keys an object schema at `path` allows. */
function allowedKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: unknown = schema;
  const unwrap = (n: unknown): unknown => {
    for (let guard = 0; guard < 20; guard++) {
      const def = (n as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
      if (def === undefined) return n;
      if (def['type'] === 'lazy') n = (def['getter'] as () => unknown)();
      else if (def['innerType'] !== undefined) n = def['innerType'];
      else if (def['type'] === 'pipe') n = def['in'];
      else return n;
    }
    return n;
  };
  for (const part of path) {
    node = unwrap(node);
    const def = (node as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (typeof part === 'number' && def['type'] === 'array') node = def['element'];
    else if (def['type'] === 'object') node = (def['shape'] as Record<string, unknown>)[String(part)];
    else if (def['type'] === 'record') node = def['valueType'];
    else if (def['type'] === 'union') {
      const options = def['options'] as unknown[];
      node = options.find((o) => {
        const d = (unwrap(o) as { _zod: { def: Record<string, unknown> } })._zod.def;
        return typeof part === 'number' ? d['type'] === 'array' : d['type'] === 'object';
      });
      if (node === undefined) return [];
      node = (() => {
        const d = (unwrap(node) as { _zod: { def: Record<string, unknown> } })._zod.def;
        return typeof part === 'number' ? d['element'] : (d['shape'] as Record<string, unknown>)[String(part)];
      })();
    } else return [];
    if (node === undefined) return [];
  }
  node = unwrap(node);
  const def = (node as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
  return def?.['type'] === 'object' ? Object.keys(def['shape'] as object) : [];
}

function suggest(key: string, allowed: readonly string[]): string {
  let best = '';
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : '';
}

/** A union failed: report the branch that got furthest instead of every branch's complaint. */
function bestUnionBranch(errors: readonly (readonly Issue[])[]): readonly Issue[] | null {
  let best: readonly Issue[] | null = null;
  let bestScore = -1;
  for (const branch of errors) {
    // A branch whose only complaint is the value's type at its root never matched at all.
    const typeMismatch = branch.every((i) => (i.code === 'invalid_type' || i.code === 'invalid_value') && i.path.length === 0);
    if (typeMismatch) continue;
    const score = Math.max(...branch.map((i) => i.path.length)) + 1;
    if (score > bestScore) [best, bestScore] = [branch, score];
  }
  return best;
}

function convert(issue: Issue, prefix: readonly PropertyKey[], schema: z.ZodType, out: ConfigIssue[]): void {
  const path = [...prefix, ...issue.path];
  const where = formatPath(path);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(schema, path);
      for (const key of issue.keys) {
        const near = suggest(key, allowed);
        const hint = near !== '' ? `did you mean \`${near}\`?` : allowed.length > 0 ? `allowed here: ${allowed.filter((k) => k !== '$schema').join(', ')}` : 'remove it';
        out.push({ path: formatPath([...path, key]), message: `unknown key \`${key}\`; ${hint}` });
      }
      return;
    }
    case 'invalid_union': {
      const branch = bestUnionBranch(issue.errors);
      if (branch !== null) {
        for (const inner of branch) convert(inner, path, schema, out);
        return;
      }
      out.push({ path: where, message: `${issue.message} (found ${describeFound(input)})` });
      return;
    }
    case 'invalid_type':
      out.push({
        path: where,
        message: input === undefined ? `missing: ${issue.message.replace(/^Invalid input: /, '')}` : `${issue.message.replace(/^Invalid input: /, '')} (found ${describeFound(input)})`,
      });
      return;
    default:
      out.push({ path: where, message: `${issue.message.replace(/^Invalid input: /, '')} (found ${describeFound(input)})` });
  }
}

/** Converts every zod issue; drops the "exactly one key" complaint where an unknown key already explains it. */
export function toConfigIssues(issues: readonly Issue[], schema: z.ZodType): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) convert(issue, [], schema, out);
  const unknownAt = new Set(out.filter((i) => i.message.startsWith('unknown key')).map((i) => i.path.replace(/\.[^.[\]]+$/, '')));
  return out.filter((i) => !(i.message.startsWith('a condition has exactly one') && unknownAt.has(i.path)));
}
