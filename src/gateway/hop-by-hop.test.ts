import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { connectionOptions, equalsLower, headerKind, HeaderKind, removeNamed, responseHeaders } from './hop-by-hop.ts';

const HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/** Random capitalisation of a lower-case name. */
const anyCase = (name: string) => fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((up) => [...name].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''));

describe('hop-by-hop header names', () => {
  it('recognises every RFC 9110 hop-by-hop name in any case', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HOP).chain(anyCase), (name) => {
        const kind = headerKind(name);
        assert.ok(kind === HeaderKind.HOP || kind === HeaderKind.CONNECTION, name);
      }),
    );
  });

  it('passes end-to-end names, including ones of the same lengths', () => {
    for (const name of ['user-agent', 'content-type', 'ab', 'cookie', 'accept', 'etag', 'x-request-id', 'content-length', 'x-forwarded-fox', 'transfer-encodinx']) {
      assert.equal(headerKind(name), HeaderKind.PASS, name);
    }
  });

  it('compares case-insensitively only for letters', () => {
    assert.equal(equalsLower('Keep-Alive', 'keep-alive'), true);
    assert.equal(equalsLower('keep_alive', 'keep-alive'), false);
    assert.equal(equalsLower('KEEP-ALIVE', 'keep-alive'), true);
    assert.equal(equalsLower('keep-alivf', 'keep-alive'), false);
  });

  it('classifies the forwarding fields, Host and Expect', () => {
    assert.equal(headerKind('X-Forwarded-For'), HeaderKind.X_FORWARDED_FOR);
    assert.equal(headerKind('x-forwarded-proto'), HeaderKind.X_FORWARDED_PROTO);
    assert.equal(headerKind('X-FORWARDED-HOST'), HeaderKind.X_FORWARDED_HOST);
    assert.equal(headerKind('Host'), HeaderKind.HOST);
    assert.equal(headerKind('Expect'), HeaderKind.EXPECT);
  });
});

describe('Connection options', () => {
  it('lists the extra field names a Connection value names, lower-cased', () => {
    assert.equal(connectionOptions('keep-alive'), null);
    assert.equal(connectionOptions('Close'), null);
    assert.deepEqual(connectionOptions('close, X-Trace , keep-alive,,Foo'), ['x-trace', 'foo']);
  });

  it('removes the named fields from a flat list, keeping the rest in order', () => {
    const list = ['A', '1', 'X-Trace', '2', 'B', '3', 'foo', '4'];
    removeNamed(list, ['x-trace', 'foo']);
    assert.deepEqual(list, ['A', '1', 'B', '3']);
  });
});

describe('response headers', () => {
  it('drops hop-by-hop fields and those Connection names, keeps repeats and order', () => {
    const raw = ['Connection', 'keep-alive, X-Internal', 'Set-Cookie', 'a=1', 'X-Internal', 'secret', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'b=2', 'Keep-Alive', 'timeout=5'].map((s) => Buffer.from(s, 'latin1'));
    assert.deepEqual(responseHeaders(raw), ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
  });

  it('never lets a hop-by-hop field through', () => {
    const field = fc.tuple(fc.oneof(fc.constantFrom(...HOP).chain(anyCase), fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/)), fc.stringMatching(/^[ -~]{0,20}$/));
    fc.assert(
      fc.property(fc.array(field, { maxLength: 12 }), (fields) => {
        const out = responseHeaders(fields.flat().map((s) => Buffer.from(s, 'latin1')));
        for (let i = 0; i < out.length; i += 2) assert.ok(!HOP.includes(out[i]!.toLowerCase()), out[i]);
        const kept = fields.filter(([name]) => !HOP.includes(name.toLowerCase()));
        const named = new Set(fields.filter(([n]) => n.toLowerCase() === 'connection').flatMap(([, v]) => connectionOptions(v) ?? []));
        assert.deepEqual(out, kept.filter(([n]) => !named.has(n.toLowerCase())).flat());
      }),
    );
  });
});
