/**
 * Matches a request (method + canonical path) against every route of a policy at once.
 *
 * Routes are compiled once into a segment trie: static children, one child for "any single
 * segment" (`:param` and `*` match the same paths, so they share it), and at each node the routes
 * that end there and the routes whose `**` starts there. Each such terminal holds, per method, the
 * frozen sorted id list, so a request that reaches one terminal gets a shared array back and the
 * hot path allocates nothing; requests that reach several get a merged list, cached per
 * (method, terminals) combination.
 *
 * Methods: upper-cased before matching (see {@link normalizeMethod}); a `HEAD` request also
 * matches `GET` routes, because every server answers `HEAD` with the `GET` handler and a `GET`
 * limit must not be dodged with `HEAD`.
 */
import { ErrorCode, RampartError, isRampartError } from '../errors.ts';
import type { ConfigIssue } from '../errors.ts';
import type { CanonicalPathOptions } from './canonical-path.ts';
import { normalizeMethod, parseRouteTemplate } from './route-template.ts';
import type { RouteSegment, RouteTemplate } from './route-template.ts';

/** One route to compile: its spec (`GET /api/users/:id`) and the id reported when it matches. */
export interface RouteDefinition {
  readonly template: string;
  readonly id: number;
}

/** A matched id with the values of its `:name` parameters (canonical form, not further decoded). */
export interface RouteParamsMatch {
  readonly id: number;
  readonly params: Readonly<Record<string, string>>;
}

/** A compiled set of routes. */
export interface RouteMatcher {
  /**
   * Ids of every route matching the request, ascending, without duplicates. `canonicalPath` must
   * come from a canonicaliser built with the same options. The array is shared: do not modify it.
   */
  match(method: string, canonicalPath: string): readonly number[];
  /** Like {@link RouteMatcher.match}, with the parameters each id's template captured. Allocates. */
  matchWithParams(method: string, canonicalPath: string): readonly RouteParamsMatch[];
}

interface Terminal {
  /** Ids per method slot (see `slotOf`), sorted and frozen. */
  byMethod: (readonly number[])[];
  /** Collected while building, dropped once `byMethod` is filled. */
  routes: ParsedRoute[];
}

interface TrieNode {
  labels: string[];
  children: TrieNode[];
  /** Replaces the linear label scan once a node has many static children. */
  staticMap: Map<string, TrieNode> | null;
  any: TrieNode | null;
  exact: Terminal | null;
  rest: Terminal | null;
}

interface ParsedRoute {
  readonly id: number;
  readonly template: RouteTemplate;
}

interface MergeCacheNode {
  readonly next: Map<Terminal, MergeCacheNode>;
  result: readonly number[] | undefined;
}

const EMPTY: readonly number[] = Object.freeze([]);
const EMPTY_MATCHES: readonly RouteParamsMatch[] = Object.freeze([]);
// Below this many static children a scan with `startsWith` beats slicing the segment for a Map.
const LINEAR_SCAN_LIMIT = 8;
// Bounds memory however many distinct route combinations requests manage to reach.
const MERGE_CACHE_LIMIT = 4096;

/**
 * Compiles routes into a matcher. Every template is validated here; a bad one throws
 * `RampartError(INVALID_ARGUMENT)` naming `routes[i]`.
 *
 * @example
 * const options = { trailingSlash: 'strip', caseSensitive: false } as const;
 * const matcher = createRouteMatcher(
 *   [{ template: '/api/**', id: 0 }, { template: 'POST /api/auth/login', id: 1 }],
 *   options,
 * );
 * matcher.match('POST', '/api/auth/login') // [0, 1]
 * matcher.match('GET', '/api/auth/login')  // [0]
 */
export function createRouteMatcher(routes: readonly RouteDefinition[], options: CanonicalPathOptions): RouteMatcher {
  if (!Array.isArray(routes)) {
    throw new RampartError(ErrorCode.INVALID_ARGUMENT, 'routes must be an array of { template, id }');
  }
  const parsed = routes.map((route, index) => parseRoute(route, index, options));

  // Slot 0 stands for every method no route names; such requests match only any-method routes.
  const slotOf = new Map<string, number>();
  const slotMethods: (string | null)[] = [null];
  for (const { template } of parsed) {
    for (const method of template.methods ?? []) addSlot(method);
  }
  if (slotOf.has('GET')) addSlot('HEAD');
  function addSlot(method: string): void {
    if (slotOf.has(method)) return;
    slotOf.set(method, slotMethods.length);
    slotMethods.push(method);
  }

  const root = newNode();
  const terminals: Terminal[] = [];
  for (const route of parsed) insert(root, route, terminals);
  for (const terminal of terminals) {
    terminal.byMethod = slotMethods.map((method) => idsFor(terminal.routes, method));
    terminal.routes = [];
  }
  indexLargeNodes(root);

  const routesById = new Map<number, ParsedRoute[]>();
  for (const route of parsed) {
    const list = routesById.get(route.id);
    if (list === undefined) routesById.set(route.id, [route]);
    else list.push(route);
  }

  // Scratch list of terminals reached by the current `match` call; matching is synchronous, so one
  // per matcher suffices and the hot path does not allocate it.
  const hits: Terminal[] = [];
  let hitCount = 0;
  const mergeCache: MergeCacheNode[] = slotMethods.map(() => ({ next: new Map(), result: undefined }));
  let mergeCacheSize = 0;

  function slotFor(method: string): number {
    return slotOf.get(method) ?? slotOf.get(normalizeMethod(method)) ?? 0;
  }

  function collect(node: TrieNode, path: string, start: number, slot: number): void {
    if (node.rest !== null && node.rest.byMethod[slot]!.length > 0) hits[hitCount++] = node.rest;
    if (start > path.length) {
      if (node.exact !== null && node.exact.byMethod[slot]!.length > 0) hits[hitCount++] = node.exact;
      return;
    }
    let end = path.indexOf('/', start);
    if (end === -1) end = path.length;
    const child = staticChild(node, path, start, end);
    if (child !== null) collect(child, path, end + 1, slot);
    if (node.any !== null && end > start) collect(node.any, path, end + 1, slot);
  }

  function merged(slot: number): readonly number[] {
    // Terminals are always reached in trie pre-order, so one combination always has one key.
    let cache: MergeCacheNode | undefined = mergeCache[slot]!;
    for (let i = 0; i < hitCount && cache !== undefined; i++) {
      let next: MergeCacheNode | undefined = cache.next.get(hits[i]!);
      if (next === undefined && mergeCacheSize < MERGE_CACHE_LIMIT) {
        next = { next: new Map(), result: undefined };
        cache.next.set(hits[i]!, next);
        mergeCacheSize++;
      }
      cache = next;
    }
    if (cache?.result !== undefined) return cache.result;
    const ids: number[] = [];
    for (let i = 0; i < hitCount; i++) ids.push(...hits[i]!.byMethod[slot]!);
    const result = sortedUnique(ids);
    if (cache !== undefined) cache.result = result;
    return result;
  }

  function match(method: string, canonicalPath: string): readonly number[] {
    const slot = slotFor(method);
    hitCount = 0;
    // `/` (and a stray empty string) has no segments; any other path's first segment starts at 1.
    collect(root, canonicalPath, canonicalPath.length <= 1 ? canonicalPath.length + 1 : 1, slot);
    if (hitCount === 0) return EMPTY;
    if (hitCount === 1) return hits[0]!.byMethod[slot]!;
    return merged(slot);
  }

  function matchWithParams(method: string, canonicalPath: string): readonly RouteParamsMatch[] {
    const ids = match(method, canonicalPath);
    if (ids.length === 0) return EMPTY_MATCHES;
    const upper = normalizeMethod(method);
    const pathSegments = canonicalPath.length <= 1 ? [] : canonicalPath.slice(1).split('/');
    const matches: RouteParamsMatch[] = [];
    for (const id of ids) {
      for (const route of routesById.get(id)!) {
        if (!acceptsMethod(route.template.methods, upper)) continue;
        const params = bindParams(route.template.segments, pathSegments);
        if (params === null) continue;
        matches.push(Object.freeze({ id, params: Object.freeze(params) }));
        break;
      }
    }
    return Object.freeze(matches);
  }

  return Object.freeze({ match, matchWithParams });
}

function parseRoute(route: RouteDefinition, index: number, options: CanonicalPathOptions): ParsedRoute {
  const id: unknown = route?.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
    throw new RampartError(ErrorCode.INVALID_ARGUMENT, `routes[${index}].id must be an integer, got ${String(id)}`);
  }
  try {
    return { id, template: parseRouteTemplate(route.template, options) };
  } catch (error) {
    if (!isRampartError(error)) throw error;
    throw new RampartError(ErrorCode.INVALID_ARGUMENT, `routes[${index}]: ${error.message}`, { cause: error });
  }
}

function newNode(): TrieNode {
  return { labels: [], children: [], staticMap: null, any: null, exact: null, rest: null };
}

function newTerminal(terminals: Terminal[]): Terminal {
  const terminal: Terminal = { byMethod: [], routes: [] };
  terminals.push(terminal);
  return terminal;
}

function insert(root: TrieNode, route: ParsedRoute, terminals: Terminal[]): void {
  let node = root;
  for (const segment of route.template.segments) {
    if (segment.kind === 'rest') {
      node.rest ??= newTerminal(terminals);
      node.rest.routes.push(route);
      return;
    }
    if (segment.kind === 'static') {
      let index = node.labels.indexOf(segment.value);
      if (index === -1) {
        index = node.labels.push(segment.value) - 1;
        node.children.push(newNode());
      }
      node = node.children[index]!;
    } else {
      node = node.any ??= newNode();
    }
  }
  node.exact ??= newTerminal(terminals);
  node.exact.routes.push(route);
}

function indexLargeNodes(node: TrieNode): void {
  if (node.labels.length > LINEAR_SCAN_LIMIT) {
    node.staticMap = new Map(node.labels.map((label, i) => [label, node.children[i]!]));
  }
  for (const child of node.children) indexLargeNodes(child);
  if (node.any !== null) indexLargeNodes(node.any);
}

function staticChild(node: TrieNode, path: string, start: number, end: number): TrieNode | null {
  if (node.staticMap !== null) return node.staticMap.get(path.slice(start, end)) ?? null;
  const labels = node.labels;
  const length = end - start;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label.length === length && path.startsWith(label, start)) return node.children[i]!;
  }
  return null;
}

function acceptsMethod(methods: readonly string[] | null, method: string | null): boolean {
  if (methods === null) return true;
  if (method === null) return false;
  return methods.includes(method) || (method === 'HEAD' && methods.includes('GET'));
}

function idsFor(routes: readonly ParsedRoute[], method: string | null): readonly number[] {
  const ids = routes.filter((route) => acceptsMethod(route.template.methods, method)).map((route) => route.id);
  return ids.length === 0 ? EMPTY : sortedUnique(ids);
}

function sortedUnique(ids: number[]): readonly number[] {
  ids.sort((a, b) => a - b);
  let kept = 0;
  for (let i = 0; i < ids.length; i++) {
    if (i === 0 || ids[i] !== ids[kept - 1]) ids[kept++] = ids[i]!;
  }
  ids.length = kept;
  return Object.freeze(ids);
}

/** Binds `segments` to the path's segments; `null` when they do not match. */
function bindParams(segments: readonly RouteSegment[], path: readonly string[]): Record<string, string> | null {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.kind === 'rest') return params;
    const value = path[i];
    if (value === undefined) return null;
    if (segment.kind === 'static') {
      if (value !== segment.value) return null;
    } else if (value === '') {
      return null;
    } else if (segment.kind === 'param') {
      params[segment.name] = value;
    }
  }
  return segments.length === path.length ? params : null;
}

/**
 * A policy's list of route templates (traps, login routes) as one predicate on (method, canonical
 * path). A template that does not parse becomes a config issue at `path[i]` and is left out.
 *
 * @example
 * const isLogin = routeListMatcher(['POST /api/auth/login'], 'logins.routes', { trailingSlash: 'strip', caseSensitive: false }, issues);
 */
export function routeListMatcher(templates: readonly string[], path: string, options: CanonicalPathOptions, issues: ConfigIssue[]): (method: string, canonicalPath: string) => boolean {
  const routes: RouteDefinition[] = [];
  templates.forEach((template, i) => {
    try {
      parseRouteTemplate(template, options);
      routes.push({ template, id: i });
    } catch (err) {
      issues.push({ path: `${path}[${i}]`, message: (err as Error).message });
    }
  });
  const matcher = createRouteMatcher(routes, options);
  return (method, canonicalPath) => matcher.match(method, canonicalPath).length > 0;
}
