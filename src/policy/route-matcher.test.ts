import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, isRampartError } from '../errors.ts';
import { createPathCanonicalizer } from './canonical-path.ts';
import type { CanonicalPathOptions } from './canonical-path.ts';
import { createRouteMatcher } from './route-matcher.ts';

const options = { trailingSlash: 'strip', caseSensitive: false } as const;

function matcherOf(...templates: string[]) {
  return createRouteMatcher(
    templates.map((template, id) => ({ template, id })),
    options,
  );
}

// Params come in null-prototype objects (so a `:__proto__` parameter is harmless); copy for deepEqual.
function plain(matches: readonly { id: number; params: Readonly<Record<string, string>> }[]) {
  return matches.map((m) => ({ id: m.id, params: { ...m.params } }));
}

describe('createRouteMatcher', () => {
  it('matches static routes exactly', () => {
    const matcher = matcherOf('/api/users', '/api/orders', '/');
    assert.deepEqual(matcher.match('GET', '/api/users'), [0]);
    assert.deepEqual(matcher.match('GET', '/api/orders'), [1]);
    assert.deepEqual(matcher.match('GET', '/'), [2]);
    assert.deepEqual(matcher.match('GET', '/api'), []);
    assert.deepEqual(matcher.match('GET', '/api/users/1'), []);
    assert.deepEqual(matcher.match('GET', '/api/usersx'), []);
  });

  it('matches a parameter against exactly one segment and reports its value on demand', () => {
    const matcher = matcherOf('/api/users/:id', '/api/users/:userId/posts/:postId');
    assert.deepEqual(matcher.match('GET', '/api/users/42'), [0]);
    assert.deepEqual(matcher.match('GET', '/api/users'), []);
    assert.deepEqual(plain(matcher.matchWithParams('GET', '/api/users/42')), [{ id: 0, params: { id: '42' } }]);
    assert.deepEqual(plain(matcher.matchWithParams('GET', '/api/users/7/posts/9')), [
      { id: 1, params: { userId: '7', postId: '9' } },
    ]);
  });

  it('matches `*` against exactly one segment', () => {
    const matcher = matcherOf('/api/*/status');
    assert.deepEqual(matcher.match('GET', '/api/orders/status'), [0]);
    assert.deepEqual(matcher.match('GET', '/api/status'), []);
    assert.deepEqual(matcher.match('GET', '/api/a/b/status'), []);
  });

  it('matches `**` against zero or more remaining segments', () => {
    const matcher = matcherOf('/api/**', '/**');
    assert.deepEqual(matcher.match('GET', '/api'), [0, 1]);
    assert.deepEqual(matcher.match('GET', '/api/a/b/c'), [0, 1]);
    assert.deepEqual(matcher.match('GET', '/apix'), [1]);
    assert.deepEqual(matcher.match('GET', '/'), [1]);
  });

  it('returns every overlapping route in id order', () => {
    const matcher = createRouteMatcher(
      [
        { template: 'POST /api/auth/login', id: 7 },
        { template: '/api/**', id: 2 },
        { template: '/api/auth/:action', id: 5 },
        { template: '/api/*/login', id: 1 },
      ],
      options,
    );
    assert.deepEqual(matcher.match('POST', '/api/auth/login'), [1, 2, 5, 7]);
    assert.deepEqual(matcher.match('GET', '/api/auth/login'), [1, 2, 5]);
  });

  it('reports an id once when several of its templates match', () => {
    const matcher = createRouteMatcher(
      [
        { template: '/api/**', id: 3 },
        { template: '/api/users/:id', id: 3 },
        { template: '/api/users/*', id: 1 },
      ],
      options,
    );
    assert.deepEqual(matcher.match('GET', '/api/users/1'), [1, 3]);
    assert.deepEqual(plain(matcher.matchWithParams('GET', '/api/users/1')), [
      { id: 1, params: {} },
      { id: 3, params: {} },
    ]);
  });

  it('filters by method, case-insensitively', () => {
    const matcher = matcherOf('POST /login', 'GET,PUT /login', '/login');
    assert.deepEqual(matcher.match('POST', '/login'), [0, 2]);
    assert.deepEqual(matcher.match('post', '/login'), [0, 2]);
    assert.deepEqual(matcher.match('PUT', '/login'), [1, 2]);
    assert.deepEqual(matcher.match('DELETE', '/login'), [2]);
    assert.deepEqual(matcher.match('BREW', '/login'), [2]);
  });

  it('lets HEAD requests match GET routes, but not GET requests HEAD routes', () => {
    const matcher = matcherOf('GET /report', 'HEAD /ping');
    assert.deepEqual(matcher.match('HEAD', '/report'), [0]);
    assert.deepEqual(matcher.match('head', '/report'), [0]);
    assert.deepEqual(matcher.match('GET', '/ping'), []);
    assert.deepEqual(matcher.match('HEAD', '/ping'), [1]);
  });

  it('returns a shared frozen empty array when nothing matches', () => {
    const matcher = matcherOf('GET /a');
    const none = matcher.match('GET', '/b');
    assert.deepEqual(none, []);
    assert.ok(Object.isFrozen(none));
    assert.equal(matcher.match('POST', '/a'), none);
    assert.deepEqual(matcher.matchWithParams('GET', '/b'), []);
  });

  it('returns the same frozen array for repeated requests, merged or not', () => {
    const matcher = matcherOf('/api/**', 'POST /api/auth/login', '/api/users');
    for (const [method, path] of [['POST', '/api/auth/login'], ['GET', '/api/users']] as const) {
      const first = matcher.match(method, path);
      assert.ok(Object.isFrozen(first));
      assert.equal(matcher.match(method, path), first);
    }
  });

  it('matches among many static siblings', () => {
    const names = Array.from({ length: 30 }, (_, i) => `r${i}`);
    const matcher = matcherOf(...names.map((name) => `/api/${name}`), '/api/:other');
    names.forEach((name, i) => assert.deepEqual(matcher.match('GET', `/api/${name}`), [i, 30]));
    assert.deepEqual(matcher.match('GET', '/api/zzz'), [30]);
  });

  it('matches templates written in another case or spelling when case-insensitive', () => {
    const matcher = matcherOf('GET /API//Users/:Id/');
    const canonicalize = createPathCanonicalizer(options);
    assert.deepEqual(plain(matcher.matchWithParams('GET', canonicalize('/api/USERS/Bob'))), [{ id: 0, params: { Id: 'bob' } }]);
  });

  it('treats a trailing slash as significant under `keep`', () => {
    const keep = { trailingSlash: 'keep', caseSensitive: true } as const;
    const matcher = createRouteMatcher(
      [
        { template: '/a', id: 0 },
        { template: '/a/', id: 1 },
        { template: '/a/*', id: 2 },
        { template: '/a/**', id: 3 },
      ],
      keep,
    );
    assert.deepEqual(matcher.match('GET', '/a'), [0, 3]);
    assert.deepEqual(matcher.match('GET', '/a/'), [1, 3]);
    assert.deepEqual(matcher.match('GET', '/a/b'), [2, 3]);
  });

  it('names the bad route in construction errors', () => {
    const isInvalid = (part: string) => (error: unknown) =>
      isRampartError(error) && error.code === ErrorCode.INVALID_ARGUMENT && error.message.includes(part);
    assert.throws(() => matcherOf('/ok', '/api/**/x'), isInvalid('routes[1]: in `/api/**/x`, `**` must be the last'));
    assert.throws(() => createRouteMatcher([{ template: '/x', id: 1.5 }], options), isInvalid('routes[0].id'));
    assert.throws(() => createRouteMatcher('/x' as never, options), isInvalid('must be an array'));
  });
});

// The reference: one regular expression per template, built from the same segment choices.
interface Spec {
  methods: string[] | null;
  segments: string[];
  id: number;
}

const segmentChoice = fc.constantFrom('a', 'b', 'C', ':p', '*');

const specArbitrary = fc.record({
  methods: fc.option(fc.subarray(['GET', 'POST', 'HEAD'], { minLength: 1 }), { nil: null }),
  segments: fc
    .tuple(fc.array(segmentChoice, { maxLength: 4 }), fc.boolean())
    .map(([segments, rest]) => (rest ? [...segments, '**'] : segments)),
  id: fc.nat({ max: 6 }),
});

const pathArbitrary = fc
  .tuple(fc.array(fc.constantFrom('a', 'b', 'c', 'A'), { maxLength: 5 }), fc.boolean())
  .map(([segments, slash]) => '/' + segments.join('/') + (slash && segments.length > 0 ? '/' : ''));

function templateText(spec: Spec): string {
  let param = 0;
  const path = '/' + spec.segments.map((s) => (s === ':p' ? `:p${param++}` : s)).join('/');
  return spec.methods === null ? path : `${spec.methods.join('|')} ${path}`;
}

function referenceRegex(spec: Spec, options: CanonicalPathOptions, trailingSlash: boolean): RegExp {
  let source = '';
  for (const segment of spec.segments) {
    if (segment === '**') source += '(?:/.*)?';
    else if (segment === ':p') source += '/([^/]+)';
    else if (segment === '*') source += '/[^/]+';
    else source += '/' + segment;
  }
  if (trailingSlash) source += '/';
  return new RegExp(`^${source === '' ? '/' : source}$`, options.caseSensitive ? '' : 'i');
}

function referenceMatch(specs: Spec[], options: CanonicalPathOptions, method: string, path: string) {
  const byId = new Map<number, Record<string, string>>();
  for (const spec of specs) {
    const methodOk =
      spec.methods === null || spec.methods.includes(method) || (method === 'HEAD' && spec.methods.includes('GET'));
    // Under `keep` the generated templates have no trailing slash, so `/x/` only matches via `**`.
    const captures = methodOk ? referenceRegex(spec, options, false).exec(path) : null;
    if (captures === null || byId.has(spec.id)) continue;
    const params: Record<string, string> = {};
    captures.slice(1).forEach((value, i) => (params[`p${i}`] = value));
    byId.set(spec.id, params);
  }
  return [...byId.keys()].sort((a, b) => a - b).map((id) => ({ id, params: byId.get(id)! }));
}

describe('route matcher properties', () => {
  for (const options of [
    { trailingSlash: 'strip', caseSensitive: true },
    { trailingSlash: 'strip', caseSensitive: false },
    { trailingSlash: 'keep', caseSensitive: true },
  ] as const) {
    it(`agrees with a regex per template (${options.trailingSlash}, caseSensitive ${options.caseSensitive})`, () => {
      const canonicalize = createPathCanonicalizer(options);
      fc.assert(
        fc.property(
          fc.array(specArbitrary, { minLength: 1, maxLength: 8 }),
          fc.array(fc.tuple(fc.constantFrom('GET', 'POST', 'HEAD', 'PUT'), pathArbitrary), { maxLength: 10 }),
          (specs, requests) => {
            const matcher = createRouteMatcher(
              specs.map((spec) => ({ template: templateText(spec), id: spec.id })),
              options,
            );
            for (const [method, rawPath] of requests) {
              const path = canonicalize(rawPath);
              const expected = referenceMatch(specs, options, method, path);
              assert.deepEqual(matcher.match(method, path), expected.map((m) => m.id), `${method} ${path}`);
              assert.deepEqual(
                plain(matcher.matchWithParams(method, path)),
                expected,
                `${method} ${path}`,
              );
            }
          },
        ),
        { numRuns: 500 },
      );
    });
  }
});
