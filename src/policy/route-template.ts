/**
 * Route specs as written in a policy: `[METHODS] /path/template`.
 *
 * - Methods: optional; one or several separated by `,` or `|` (`GET /x`, `POST,PUT /x`,
 *   `GET|HEAD /x`). Omitted or `*` means any method. Methods are upper-cased.
 * - Segments: static text, `:name` (one segment, captured), `*` (one segment, not captured),
 *   `**` (zero or more segments; only as the last segment).
 *
 * The path goes through the same canonicaliser as requests, so `/API//users/` and `/api/users`
 * are the same template when matching is case-insensitive with trailing slashes stripped.
 */
import { ErrorCode, RampartError } from '../errors.ts';
import { createPathCanonicalizer, toLowerAscii } from './canonical-path.ts';
import type { CanonicalPathOptions } from './canonical-path.ts';

/** One segment of a parsed template. `wildcard` is `*`, `rest` is `**`. */
export type RouteSegment =
  | { readonly kind: 'static'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'wildcard' }
  | { readonly kind: 'rest' };

/** A parsed route spec. */
export interface RouteTemplate {
  /** The spec as written, for error messages and logs. */
  readonly source: string;
  /** Upper-case methods the route accepts, or `null` for any method. */
  readonly methods: readonly string[] | null;
  /** Canonical segments; `[]` is the root `/`. Under `keep`, a trailing slash is a final `''`. */
  readonly segments: readonly RouteSegment[];
}

// RFC 9110 token characters, minus `|` and `,`, which separate methods here.
const METHOD_TOKEN = /^[!#$%&'*+\-.^_`~0-9A-Za-z]+$/;
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
const WILDCARD: RouteSegment = Object.freeze({ kind: 'wildcard' });
const REST: RouteSegment = Object.freeze({ kind: 'rest' });

/**
 * Parses and validates a route spec. Throws `RampartError(INVALID_ARGUMENT)` saying what is wrong
 * and how to write it.
 *
 * @example
 * parseRouteTemplate('POST,PUT /api/users/:id', { trailingSlash: 'strip', caseSensitive: false })
 * // { source: 'POST,PUT /api/users/:id', methods: ['POST', 'PUT'],
 * //   segments: [{ kind: 'static', value: 'api' }, { kind: 'static', value: 'users' },
 * //              { kind: 'param', name: 'id' }] }
 */
export function parseRouteTemplate(spec: string, options: CanonicalPathOptions): RouteTemplate {
  // Param names keep their case, so canonicalise case-sensitively and lower-case statics below.
  const canonicalize = createPathCanonicalizer({ trailingSlash: options.trailingSlash, caseSensitive: true });
  if (typeof spec !== 'string') fail(`a route must be a string such as \`GET /api/users/:id\`, got ${typeof spec}`);
  const trimmed = spec.trim();
  if (trimmed === '') fail('a route is empty: write a path such as `/api/users/:id`, optionally after methods (`GET /api/users/:id`)');

  const split = /\s+(?=\S*$)/.exec(trimmed);
  const methodPart = split === null ? null : trimmed.slice(0, split.index);
  const path = split === null ? trimmed : trimmed.slice(split.index + split[0].length);
  const methods = methodPart === null ? null : parseMethods(methodPart, spec);
  checkRawPath(path, spec);

  const canonical = canonicalize(path);
  const raw = canonical === '/' ? [] : canonical.slice(1).split('/');
  const segments: RouteSegment[] = [];
  const names = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const text = raw[i]!;
    if (text === '**') {
      if (i !== raw.length - 1) {
        fail(`in \`${spec}\`, \`**\` must be the last segment: write \`/${raw.slice(0, i + 1).join('/')}\``);
      }
      segments.push(REST);
    } else if (text === '*') {
      segments.push(WILDCARD);
    } else if (text.includes('*')) {
      fail(
        `in \`${spec}\`, \`${text}\` mixes \`*\` with text: a wildcard is a whole segment, ` +
          '`/api/*` for one segment or `/api/**` for any number',
      );
    } else if (text.startsWith(':')) {
      const name = text.slice(1);
      if (!PARAM_NAME.test(name)) {
        fail(`in \`${spec}\`, \`${text}\` is not a valid parameter: write \`:\` then a name of letters, digits and \`_\`, e.g. \`:id\``);
      }
      if (names.has(name)) fail(`in \`${spec}\`, parameter \`:${name}\` appears twice: give each parameter its own name`);
      names.add(name);
      segments.push(Object.freeze({ kind: 'param', name }));
    } else {
      segments.push(Object.freeze({ kind: 'static', value: options.caseSensitive ? text : toLowerAscii(text) }));
    }
  }
  return Object.freeze({ source: spec, methods, segments: Object.freeze(segments) });
}

/**
 * Upper-cases ASCII letters of an HTTP method. Methods are case-sensitive per RFC 9110, but no
 * server routes `get` apart from `GET`, and treating them apart would let `get` slip past a rule.
 *
 * @example
 * normalizeMethod('post') // 'POST'
 */
export function normalizeMethod(method: string): string {
  return /[a-z]/.test(method) ? method.replace(/[a-z]+/g, (letters) => letters.toUpperCase()) : method;
}

function parseMethods(methodPart: string, spec: string): readonly string[] | null {
  if (methodPart.includes('/')) fail(`in \`${spec}\`, the path contains whitespace: write the path without spaces`);
  const methods: string[] = [];
  for (const entry of methodPart.split(/[,|]/)) {
    const method = entry.trim();
    if (method === '') fail(`in \`${spec}\`, a method is missing: separate methods with \`,\` or \`|\`, e.g. \`GET,POST /x\``);
    if (method === '*') continue;
    if (!METHOD_TOKEN.test(method)) {
      fail(`in \`${spec}\`, \`${method}\` is not an HTTP method: write e.g. \`GET /x\` or \`POST,PUT /x\``);
    }
    const normalized = normalizeMethod(method);
    if (!methods.includes(normalized)) methods.push(normalized);
  }
  if (methods.length > 0 && /(^|[,|])\s*\*\s*($|[,|])/.test(methodPart)) {
    fail(`in \`${spec}\`, \`*\` means any method and cannot be listed with others: write \`/x\` or \`* /x\` alone`);
  }
  return methods.length === 0 ? null : Object.freeze(methods);
}

/** Rejects what the canonicaliser would silently drop, since in a template it is always a mistake. */
function checkRawPath(path: string, spec: string): void {
  if (!path.startsWith('/')) fail(`in \`${spec}\`, the path must start with \`/\`: write \`/${path}\``);
  if (path.includes('?') || path.includes('#')) {
    fail(`in \`${spec}\`, routes match the path only: remove the \`?…\` or \`#…\` part`);
  }
  if (path.includes(';')) {
    fail(`in \`${spec}\`, matrix parameters (\`;…\`) are stripped from requests before matching: remove them from the route`);
  }
  if (path.includes('\\')) fail(`in \`${spec}\`, use \`/\` to separate segments, not \`\\\``);
  for (const segment of path.split('/')) {
    if (DOT_SEGMENT.test(segment)) fail(`in \`${spec}\`, \`${segment}\` segments are not allowed: write the resolved path`);
  }
}

function fail(message: string): never {
  throw new RampartError(ErrorCode.INVALID_ARGUMENT, message);
}
