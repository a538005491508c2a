import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, isRampartError } from '../errors.ts';
import { createPathCanonicalizer, toLowerAscii } from './canonical-path.ts';
import type { CanonicalPathOptions } from './canonical-path.ts';

const insensitiveStrip = createPathCanonicalizer({ trailingSlash: 'strip', caseSensitive: false });
const sensitiveStrip = createPathCanonicalizer({ trailingSlash: 'strip', caseSensitive: true });
const sensitiveKeep = createPathCanonicalizer({ trailingSlash: 'keep', caseSensitive: true });

describe('createPathCanonicalizer', () => {
  it('gives every spelling of the login path the same canonical path', () => {
    const spellings = [
      '/api/auth/login',
      '//api//auth/login',
      '/api/./auth/login',
      '/API/auth/login',
      '/api/auth/login/',
      '/api/auth/%6cogin',
      '/api/auth/%6Cogin',
      '/api/auth/login;x=1',
      '/api/auth/login?x=1',
      '/api/auth/login#top',
      '/api/x/../auth/login',
      '/api/auth/%2e/login',
      '/api/x/%2e%2E/auth/login',
      '/api\\auth\\login',
      '/api;v=2/auth;a/login;b?next=/a',
      'http://example.com:8080/api/auth/login?x=1',
    ];
    for (const spelling of spellings) assert.equal(insensitiveStrip(spelling), '/api/auth/login', spelling);
  });

  it('maps targets without a path to the root', () => {
    for (const target of ['', '*', '?x=1', '#f', 'http://example.com', 'https://example.com?x=1', '/']) {
      assert.equal(sensitiveStrip(target), '/', target);
    }
  });

  it('never climbs above the root', () => {
    assert.equal(sensitiveStrip('/../../etc/passwd'), '/etc/passwd');
    assert.equal(sensitiveStrip('/a/../../..'), '/');
    assert.equal(sensitiveStrip('/%2e%2e/%2E%2E/x'), '/x');
  });

  it('resolves the Tomcat-style `..;` trick as `..`', () => {
    assert.equal(sensitiveStrip('/api/..;/admin'), '/admin');
    assert.equal(sensitiveStrip('/api/public/..;jsessionid=1/admin'), '/api/admin');
  });

  it('decodes unreserved characters only and keeps encoded slashes as data', () => {
    assert.equal(sensitiveStrip('/%41%7e%2D%5f%30'), '/A~-_0');
    assert.equal(sensitiveStrip('/a%2fb'), '/a%2Fb');
    assert.equal(sensitiveStrip('/a%2Fb/%5c/%3b'), '/a%2Fb/%5C/%3B');
    assert.equal(sensitiveStrip('/a%252e'), '/a%252e');
  });

  it('leaves malformed escapes as sent', () => {
    assert.equal(sensitiveStrip('/%zz/%4/%'), '/%zz/%4/%');
    assert.equal(sensitiveStrip('/%4;x'), '/%4');
  });

  it('does not let a decoded hex digit complete a malformed escape', () => {
    // `%6` followed by `%36` (the digit 6) must not become `%66`, which a second pass reads as `f`.
    assert.equal(sensitiveStrip('/%6%36'), '/%6%36');
    assert.equal(sensitiveStrip('/%%41'), '/%%41');
    assert.equal(sensitiveStrip('/%%4a'), '/%J');
  });

  it('keeps a trailing slash under `keep`, as RFC 3986 resolves dot segments', () => {
    assert.equal(sensitiveKeep('/api/auth/login/'), '/api/auth/login/');
    assert.equal(sensitiveKeep('/a/b/..'), '/a/');
    assert.equal(sensitiveKeep('/a/b/.'), '/a/b/');
    assert.equal(sensitiveKeep('/a//'), '/a/');
    assert.equal(sensitiveKeep('/'), '/');
  });

  it('respects case unless told otherwise, and folds ASCII letters only', () => {
    assert.equal(sensitiveStrip('/API/Users'), '/API/Users');
    assert.equal(insensitiveStrip('/API/Ärger/İ'), '/api/Ärger/İ');
    assert.equal(insensitiveStrip('/API/%2f'), '/api/%2f');
  });

  it('returns an already canonical path unchanged', () => {
    for (const path of ['/', '/api/users/42', '/a-b_c~d.e/f']) assert.equal(insensitiveStrip(path), path);
    assert.equal(sensitiveStrip('/api/.well-known/x'), '/api/.well-known/x');
    assert.equal(sensitiveStrip('/api/..x/y'), '/api/..x/y');
  });

  it('reads a relative target as if it started with `/`', () => {
    assert.equal(sensitiveStrip('api/users'), '/api/users');
    assert.equal(sensitiveStrip('\\api\\users'), '/api/users');
  });

  it('rejects invalid options at construction', () => {
    const bad = [
      { trailingSlash: 'remove', caseSensitive: true },
      { trailingSlash: 'strip', caseSensitive: 'no' },
    ] as unknown as CanonicalPathOptions[];
    for (const options of bad) {
      assert.throws(
        () => createPathCanonicalizer(options),
        (error: unknown) => isRampartError(error) && error.code === ErrorCode.INVALID_ARGUMENT,
      );
    }
  });
});

describe('toLowerAscii', () => {
  it('lower-cases ASCII letters and nothing else', () => {
    assert.equal(toLowerAscii('/ABC/ÄÖ/Σ'), '/abc/ÄÖ/Σ');
  });
});

// Targets built from the pieces that matter, so runs hit the tricky cases often.
const pieces = [
  '/', '//', '\\', '.', '..', '/./', '/../', ';', ';x=1', '?', '#', '%', '%2e', '%2E', '%2f', '%2F', '%41',
  '%6c', '%36', '%zz', '%4', '%%', 'a', 'B', 'c', '6', 'f', 'F', '~', '-', '_', 'Ä', 'http://h', '*',
];
const target = fc.oneof(
  fc.array(fc.constantFrom(...pieces), { maxLength: 20 }).map((parts) => parts.join('')),
  fc.string({ maxLength: 30 }),
);
const optionSets = fc.record({
  trailingSlash: fc.constantFrom('strip' as const, 'keep' as const),
  caseSensitive: fc.boolean(),
});

describe('canonical path properties', () => {
  it('is idempotent', () => {
    fc.assert(
      fc.property(optionSets, target, (options, url) => {
        const canonicalize = createPathCanonicalizer(options);
        const once = canonicalize(url);
        assert.equal(canonicalize(once), once);
      }),
      { numRuns: 2000 },
    );
  });

  it('starts with `/` and holds no empty, `.` or `..` segment', () => {
    fc.assert(
      fc.property(optionSets, target, (options, url) => {
        const path = createPathCanonicalizer(options)(url);
        assert.ok(path.startsWith('/'), path);
        assert.ok(!path.includes('//'), path);
        assert.ok(!path.includes('\\'), path);
        assert.ok(!/\?|#|;/.test(path), path);
        const segments = path.split('/').slice(1);
        assert.ok(!segments.includes('.') && !segments.includes('..'), path);
        if (options.trailingSlash === 'strip' && path !== '/') assert.ok(!path.endsWith('/'), path);
        if (!options.caseSensitive) assert.ok(!/[A-Z]/.test(path), path);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same answer on the fast path as on the full one', () => {
    // An empty matrix parameter changes nothing but forces the full canonicalisation.
    fc.assert(
      fc.property(optionSets, target, (options, url) => {
        fc.pre(url !== '*' && !url.includes('?') && !url.includes('#'));
        const canonicalize = createPathCanonicalizer(options);
        assert.equal(canonicalize(`${url};`), canonicalize(url));
      }),
      { numRuns: 2000 },
    );
  });

  it('ignores whatever follows `?`', () => {
    fc.assert(
      fc.property(optionSets, target, fc.string({ maxLength: 10 }), (options, url, query) => {
        const canonicalize = createPathCanonicalizer(options);
        const path = canonicalize(url);
        assert.equal(canonicalize(`${path}?${query}`), path);
      }),
    );
  });
});
