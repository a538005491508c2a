import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, isRampartError } from '../errors.ts';
import { createClientIpResolver } from './client-ip.ts';
import type { ClientIpHeader, RequestHeaders } from './client-ip.ts';
import { formatIp } from './ip.ts';

const HEADERS: ClientIpHeader[] = ['x-forwarded-for', 'forwarded', 'x-real-ip'];
const TRUSTED = ['10.0.0.0/8', '2001:db8:ffff::/48'];

/** Addresses outside TRUSTED. */
const untrustedV4 = fc
  .integer({ min: 0, max: 0xffffffff })
  .filter((v) => v >>> 24 !== 10)
  .map((value) => formatIp({ version: 4, value }));
const untrustedV6 = fc
  .uint32Array({ minLength: 4, maxLength: 4 })
  .map((w) => formatIp({ version: 6, words: Uint32Array.of(0x20010db8, 0, w[2], w[3]) }));
const untrustedIp = fc.oneof(untrustedV4, untrustedV6);
const trustedIp = fc.oneof(
  fc.integer({ min: 0, max: 0xffffff }).map((v) => formatIp({ version: 4, value: (0x0a000000 | v) >>> 0 })),
  fc.uint32Array({ minLength: 2, maxLength: 2 }).map((w) => formatIp({ version: 6, words: Uint32Array.of(0x20010db8, 0xffff0000, w[0], w[1]) })),
);

/** Header text an attacker might send: addresses, separators, quotes, junk. */
const hostileText = fc.string({
  unit: fc.constantFrom('10.0.0.1', '1.2.3.4', '2001:db8::1', '::ffff:10.0.0.7', ',', ';', ' ', '"', '\\', '[', ']', ':', 'for=', 'unknown', '_x', 'x'),
  maxLength: 60,
});
const hostileValue = fc.oneof(fc.constant(undefined), hostileText, fc.array(hostileText, { maxLength: 3 }));
const hostileHeaders = fc.record({ 'x-forwarded-for': hostileValue, forwarded: hostileValue, 'x-real-ip': hostileValue });

/** The element a proxy appends for a hop, in each header's syntax. */
function element(header: ClientIpHeader, ip: string): string {
  if (header !== 'forwarded') return ip;
  return ip.includes(':') ? `for="[${ip}]:4711"` : `for=${ip}`;
}

describe('createClientIpResolver', () => {
  it('never lets a client that is not a trusted proxy move its identity with headers', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HEADERS), untrustedIp, hostileHeaders, (header, peer, headers) => {
        const clientIp = createClientIpResolver({ trustedProxies: TRUSTED, header });
        assert.equal(clientIp(peer, headers as RequestHeaders), peer);
        if (peer.includes('.')) assert.equal(clientIp(`::ffff:${peer}`, headers as RequestHeaders), peer);
      }),
    );
  });

  it('resolves the real client behind trusted proxies whatever the client prepends', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ClientIpHeader>('x-forwarded-for', 'forwarded'),
        hostileText,
        untrustedIp,
        fc.array(trustedIp, { maxLength: 5 }),
        trustedIp,
        (header, forged, client, innerProxies, peer) => {
          const clientIp = createClientIpResolver({ trustedProxies: TRUSTED, header });
          const value = [forged, ...[client, ...innerProxies].map((ip) => element(header, ip))].join(', ');
          assert.equal(clientIp(peer, { [header]: value }), client);
        },
      ),
    );
  });

  it('picks the right-most untrusted entry through a chain of trusted proxies', () => {
    const clientIp = createClientIpResolver({ trustedProxies: TRUSTED });
    const headers = { 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.0.0.9, 10.1.1.1' };
    assert.equal(clientIp('10.0.0.2', headers), '203.0.113.7');
  });

  it('reads IPv6 peers and entries', () => {
    const clientIp = createClientIpResolver({ trustedProxies: TRUSTED, header: 'forwarded' });
    const headers = { forwarded: 'for="[2001:db8::dead]:1234", for="[2001:DB8:FFFF::2]"' };
    assert.equal(clientIp('2001:db8:ffff::1', headers), '2001:db8::dead');
    assert.equal(clientIp('2001:0db8:0000::dead', headers), '2001:db8::dead');
  });

  it('trusts an IPv4-mapped peer as its IPv4 address', () => {
    const clientIp = createClientIpResolver({ trustedProxies: ['10.0.0.1'] });
    assert.equal(clientIp('::ffff:10.0.0.1', { 'x-forwarded-for': '203.0.113.7' }), '203.0.113.7');
    assert.equal(clientIp('::ffff:203.0.113.9', { 'x-forwarded-for': '1.1.1.1' }), '203.0.113.9');
  });

  it('stops at an unreadable entry and returns the last trusted hop', () => {
    const clientIp = createClientIpResolver({ trustedProxies: TRUSTED });
    for (const bad of ['unknown', '_hidden', '1.2.3', '999.1.1.1', '::::', 'x'.repeat(10_000)]) {
      assert.equal(clientIp('10.0.0.2', { 'x-forwarded-for': `203.0.113.7, ${bad}, 10.0.0.3` }), '10.0.0.3', bad);
      assert.equal(clientIp('10.0.0.2', { 'x-forwarded-for': `203.0.113.7, ${bad}` }), '10.0.0.2', bad);
    }
  });

  it('returns the left-most entry when every entry is trusted, and the peer when there is none', () => {
    const clientIp = createClientIpResolver({ trustedProxies: TRUSTED });
    assert.equal(clientIp('10.0.0.2', { 'x-forwarded-for': '10.9.9.9, 10.0.0.3' }), '10.9.9.9');
    assert.equal(clientIp('10.0.0.2', {}), '10.0.0.2');
    assert.equal(clientIp('10.0.0.2', { 'x-forwarded-for': ' , ' }), '10.0.0.2');
  });

  it('strips ports from entries', () => {
    const clientIp = createClientIpResolver({ trustedProxies: TRUSTED });
    assert.equal(clientIp('10.0.0.2', { 'x-forwarded-for': '203.0.113.7:5555, 10.0.0.3:80' }), '203.0.113.7');
    assert.equal(clientIp('10.0.0.2', { 'x-forwarded-for': '[2001:db8::7]:443' }), '2001:db8::7');
  });

  it('joins repeated X-Forwarded-For headers in order', () => {
    const clientIp = createClientIpResolver({ trustedProxies: TRUSTED });
    assert.equal(clientIp('10.0.0.2', { 'x-forwarded-for': ['6.6.6.6', '203.0.113.7, 10.0.0.3'] }), '203.0.113.7');
  });

  it('takes X-Real-IP from a trusted proxy and ignores it when repeated', () => {
    const clientIp = createClientIpResolver({ trustedProxies: TRUSTED, header: 'x-real-ip' });
    assert.equal(clientIp('10.0.0.2', { 'x-real-ip': '203.0.113.7' }), '203.0.113.7');
    assert.equal(clientIp('10.0.0.2', { 'x-real-ip': ['203.0.113.7', '6.6.6.6'] }), '10.0.0.2');
    assert.equal(clientIp('10.0.0.2', { 'x-forwarded-for': '203.0.113.7' }), '10.0.0.2');
  });

  it('reads no header at all when no proxy is trusted', () => {
    const clientIp = createClientIpResolver({ trustedProxies: [] });
    const untouchable = new Proxy({}, {
      get() {
        throw new Error('headers were read');
      },
    }) as RequestHeaders;
    assert.equal(clientIp('203.0.113.7', untouchable), '203.0.113.7');
    assert.equal(clientIp('::ffff:203.0.113.7', untouchable), '203.0.113.7');
    assert.equal(clientIp('2001:DB8::1', untouchable), '2001:db8::1');
  });

  it('returns a peer that is not an address unchanged, and no peer as empty, without reading headers', () => {
    const clientIp = createClientIpResolver({ trustedProxies: ['0.0.0.0/0', '::/0'] });
    assert.equal(clientIp('', { 'x-forwarded-for': '1.2.3.4' }), '');
    assert.equal(clientIp('garbage', { 'x-forwarded-for': '1.2.3.4' }), 'garbage');
    assert.equal(clientIp(undefined, { 'x-forwarded-for': '1.2.3.4' }), '');
    assert.equal(createClientIpResolver({ trustedProxies: [] })(undefined, {}), '');
  });

  it('rejects bad options at construction', () => {
    const isInvalid = (err: unknown) => isRampartError(err) && err.code === ErrorCode.INVALID_ARGUMENT;
    assert.throws(() => createClientIpResolver({ trustedProxies: ['10.0.0.0/33'] }), isInvalid);
    assert.throws(() => createClientIpResolver({ trustedProxies: TRUSTED, header: 'x-client-ip' as ClientIpHeader }), isInvalid);
    assert.throws(() => createClientIpResolver(undefined as never), isInvalid);
    assert.throws(() => createClientIpResolver({} as never), isInvalid);
  });
});
