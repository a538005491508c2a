/**
 * Reading a policy file: YAML or JSON text → environment interpolation → shape validation with
 * defaults. Every problem is collected and thrown at once as a RampartError whose `issues` name the path.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ErrorCode, RampartError } from '../errors.ts';
import type { ConfigIssue } from '../errors.ts';
import { formatPath, toConfigIssues } from './config-issues.ts';
import { policySchema } from './schema.ts';
import type { PolicyDocument } from './schema.ts';

export interface LoadOptions {
  /** Shown in error messages (a file name). */
  source?: string;
  /** Variables for `${NAME}` / `${NAME:-default}`. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

const VAR_RE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_VAR_RE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string value (never in keys, and after parsing,
 * so a variable cannot inject YAML structure). `$$` is a literal `$`. A value that is nothing but one
 * variable and expands to a number or boolean becomes that number or boolean (`port: ${PORT:-8080}`).
 */
export function interpolateEnv(value: unknown, env: Readonly<Record<string, string | undefined>>, issues: ConfigIssue[], path: PropertyKey[] = []): unknown {
  if (typeof value === 'string') {
    if (!value.includes('$')) return value;
    const out = value.replace(VAR_RE, (whole, name: string | undefined, fallback: string | undefined) => {
      if (whole === '$$') return '$';
      const found = env[name!];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      issues.push({ path: formatPath(path), message: `environment variable ${name} is not set; set it or give a default: \${${name}:-value}` });
      return '';
    });
    if (WHOLE_VAR_RE.test(value)) {
      if (/^-?\d+(\.\d+)?$/.test(out)) return Number(out);
      if (out === 'true' || out === 'false') return out === 'true';
    }
    return out;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, issues, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, env, issues, [...path, k]);
    return out;
  }
  return value;
}

function parseText(raw: string, source: string): unknown {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (source.endsWith('.json')) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new RampartError(ErrorCode.CONFIG_READ, `${source}: not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  // YAML 1.2 is a superset of JSON, so JSON text written anywhere else reads the same way.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // One syntax error makes the parser report every token after it: the first few say where to look.
    const issues = doc.errors.slice(0, MAX_YAML_ISSUES).map((e) => ({
      path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '',
      message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
    }));
    // `{ rate: ${RATE} }`: in a flow map an unquoted `${` reads as the start of another map.
    const first = doc.errors[0]!;
    const line = first.linePos === undefined ? '' : (text.split('\n')[first.linePos[0].line - 1] ?? '');
    if (line.includes('${')) issues[0]!.message += '; inside { … } or [ … ], quote a ${VAR} value: "${VAR:-default}"';
    const more = doc.errors.length - issues.length;
    if (more > 0) issues.push({ path: '', message: `and ${more} more syntax error${more === 1 ? '' : 's'} after these, most likely caused by the first` });
    throw new RampartError(ErrorCode.CONFIG_READ, `${source}: not valid YAML: ${issues[0]!.path}: ${issues[0]!.message}`, { issues });
  }
  return doc.toJS() ?? {};
}

/** Syntax errors reported from one YAML file; the rest are counted. */
const MAX_YAML_ISSUES = 3;

/**
 * Parses and validates policy text: JSON when `options.source` ends in `.json`, otherwise YAML (a superset of JSON).
 *
 * @throws RampartError `RAMPART_ERR_CONFIG_READ` on a syntax error, `RAMPART_ERR_INVALID_CONFIG`
 *   with every problem in `issues` when the content is wrong.
 * @example
 * const policy = parsePolicy('rules:\n  - name: login\n    match: POST /login\n    limit: { rate: 5/min }\n');
 */
export function parsePolicy(text: string, options: LoadOptions = {}): PolicyDocument {
  const source = options.source ?? 'policy';
  const raw = parseText(text, source);
  const issues: ConfigIssue[] = [];
  const interpolated = interpolateEnv(raw, options.env ?? process.env, issues);
  const result = policySchema.safeParse(interpolated, { reportInput: true });
  if (!result.success) {
    // A value whose variable is unset is already reported; its empty stand-in would only be reported again.
    const unset = new Set(issues.map((i) => i.path));
    issues.push(...toConfigIssues(result.error.issues, policySchema).filter((i) => !unset.has(i.path)));
  }
  if (issues.length > 0 || !result.success) throw invalidConfig(source, issues);
  return result.data;
}

/** Reads and validates a policy file. Errors as {@link parsePolicy}, plus CONFIG_READ when the file can't be read. */
export function loadPolicyFile(file: string, options: Omit<LoadOptions, 'source'> = {}): PolicyDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new RampartError(ErrorCode.CONFIG_READ, `cannot read config file ${file}: ${reason}`, { cause: err });
  }
  return parsePolicy(text, { ...options, source: file });
}

/** Builds the INVALID_CONFIG error whose message lists every issue, one per line. */
export function invalidConfig(source: string, issues: readonly ConfigIssue[]): RampartError {
  const lines = issues.map((i) => `  ${i.path === '' ? '(root)' : i.path}: ${i.message}`);
  return new RampartError(ErrorCode.INVALID_CONFIG, `${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${lines.join('\n')}`, { issues });
}
