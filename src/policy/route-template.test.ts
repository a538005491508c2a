import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, isRampartError } from '../errors.ts';
import { normalizeMethod, parseRouteTemplate } from './route-template.ts';

const insensitive = { trailingSlash: 'strip', caseSensitive: false } as const;
const sensitive = { trailingSlash: 'strip', caseSensitive: true } as const;
const keep = { trailingSlash: 'keep', caseSensitive: true } as const;

function rejects(spec: string, messagePart: string): void {
  assert.throws(
    () => parseRouteTemplate(spec, insensitive),
    (error: unknown) =>
      isRampartError(error) && error.code === ErrorCode.INVALID_ARGUMENT && error.message.includes(messagePart),
    spec,
  );
}

describe('parseRouteTemplate', () => {
  it('reads static, param, `*` and `**` segments', () => {
    const template = parseRouteTemplate('/api/users/:id/*/**', sensitive);
    assert.deepEqual(template.segments, [
      { kind: 'static', value: 'api' },
      { kind: 'static', value: 'users' },
      { kind: 'param', name: 'id' },
      { kind: 'wildcard' },
      { kind: 'rest' },
    ]);
    assert.equal(template.methods, null);
    assert.equal(template.source, '/api/users/:id/*/**');
  });

  it('reads one method or a list separated by `,` or `|`, upper-cased', () => {
    assert.deepEqual(parseRouteTemplate('GET /x', sensitive).methods, ['GET']);
    assert.deepEqual(parseRouteTemplate('POST,PUT /x', sensitive).methods, ['POST', 'PUT']);
    assert.deepEqual(parseRouteTemplate('get|Head /x', sensitive).methods, ['GET', 'HEAD']);
    assert.deepEqual(parseRouteTemplate('  POST, PUT\t/x ', sensitive).methods, ['POST', 'PUT']);
    assert.deepEqual(parseRouteTemplate('GET,GET /x', sensitive).methods, ['GET']);
  });

  it('treats a missing method or `*` as any method', () => {
    assert.equal(parseRouteTemplate('/x', sensitive).methods, null);
    assert.equal(parseRouteTemplate('* /x', sensitive).methods, null);
  });

  it('canonicalises the path like a request, keeping parameter names as written', () => {
    const template = parseRouteTemplate('/API//Users/%7Eme/:userId/', insensitive);
    assert.deepEqual(template.segments, [
      { kind: 'static', value: 'api' },
      { kind: 'static', value: 'users' },
      { kind: 'static', value: '~me' },
      { kind: 'param', name: 'userId' },
    ]);
    assert.deepEqual(parseRouteTemplate('/', insensitive).segments, []);
  });

  it('keeps a trailing slash as a final empty segment under `keep`', () => {
    assert.deepEqual(parseRouteTemplate('/a/', keep).segments, [
      { kind: 'static', value: 'a' },
      { kind: 'static', value: '' },
    ]);
  });

  it('explains how to write `**` when it is not last', () => {
    rejects('/api/**/users', '`**` must be the last segment: write `/api/**`');
  });

  it('rejects partial wildcards', () => {
    rejects('/files/*.json', 'a wildcard is a whole segment');
    rejects('/files/***', 'a wildcard is a whole segment');
  });

  it('rejects bad and repeated parameter names', () => {
    rejects('/users/:', 'write `:` then a name');
    rejects('/users/:1d', 'write `:` then a name');
    rejects('/users/:id/posts/:id', '`:id` appears twice');
  });

  it('rejects paths that do not start with `/`', () => {
    rejects('api/users', 'write `/api/users`');
    rejects('GET api', 'must start with `/`');
  });

  it('rejects parts the canonicaliser would silently drop', () => {
    rejects('/login?next=/', 'routes match the path only');
    rejects('/login;v=1', 'matrix parameters');
    rejects('/api\\login', 'use `/`');
    rejects('/api/../admin', 'segments are not allowed');
    rejects('/api/%2e/admin', 'segments are not allowed');
  });

  it('rejects malformed method lists', () => {
    rejects('GET,,POST /x', 'a method is missing');
    rejects('GE(T /x', 'is not an HTTP method');
    rejects('GET,* /x', '`*` means any method');
    rejects('/a b', 'contains whitespace');
    rejects('   ', 'a route is empty');
  });
});

describe('normalizeMethod', () => {
  it('upper-cases ASCII letters only', () => {
    assert.equal(normalizeMethod('post'), 'POST');
    assert.equal(normalizeMethod('GET'), 'GET');
    assert.equal(normalizeMethod('poſt'), 'POſT');
  });
});
