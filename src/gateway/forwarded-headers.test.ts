import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CidrSet } from '../net/cidr.ts';
import { peerAddress, upstreamHeaders } from './forwarded-headers.ts';

const none = new CidrSet([]);
const loopback = new CidrSet(['loopback']);

describe('upstream request headers', () => {
  it('keeps end-to-end fields as sent and adds X-Forwarded-*', () => {
    const out = upstreamHeaders(['Host', 'shop.example', 'User-Agent', 'curl/8', 'Cookie', 'a=1', 'Cookie', 'b=2'], '203.0.113.7', 'http', none);
    assert.deepEqual(out, [
      'Host', 'shop.example', 'User-Agent', 'curl/8', 'Cookie', 'a=1', 'Cookie', 'b=2',
      'x-forwarded-for', '203.0.113.7', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'shop.example',
    ]);
  });

  it('replaces forwarding fields sent by an untrusted peer', () => {
    const out = upstreamHeaders(['Host', 'a', 'X-Forwarded-For', '1.1.1.1', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'evil'], '203.0.113.7', 'http', loopback)!;
    assert.deepEqual(out.slice(2), ['x-forwarded-for', '203.0.113.7', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'a']);
  });

  it('appends to a trusted proxy\'s X-Forwarded-For, joining repeated fields, and keeps its -Proto and -Host', () => {
    const out = upstreamHeaders(['Host', 'internal', 'X-Forwarded-For', '198.51.100.1', 'x-forwarded-for', '10.0.0.1', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Host', 'shop.example'], '127.0.0.1', 'http', loopback)!;
    assert.deepEqual(out.slice(2), ['x-forwarded-for', '198.51.100.1, 10.0.0.1, 127.0.0.1', 'x-forwarded-proto', 'https', 'x-forwarded-host', 'shop.example']);
  });

  it('drops hop-by-hop fields, the ones Connection names, and Expect', () => {
    const out = upstreamHeaders(['X-Trace', '1', 'Connection', 'keep-alive, x-trace', 'TE', 'trailers', 'Transfer-Encoding', 'chunked', 'Expect', '100-continue', 'Accept', '*/*'], '203.0.113.7', 'https', none)!;
    assert.deepEqual(out, ['Accept', '*/*', 'x-forwarded-for', '203.0.113.7', 'x-forwarded-proto', 'https']);
  });

  it('refuses a request with two Host fields', () => {
    assert.equal(upstreamHeaders(['Host', 'a', 'host', 'b'], '203.0.113.7', 'http', none), null);
  });

  it('writes IPv4-mapped peers as IPv4', () => {
    assert.equal(peerAddress('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(peerAddress('::ffff:abcd'), '::ffff:abcd');
    assert.equal(peerAddress('2001:db8::1'), '2001:db8::1');
    assert.equal(peerAddress(undefined), '');
  });
});
