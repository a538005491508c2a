import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headerFingerprint } from './fingerprint.ts';
import { HmacSha256 } from './sha256.ts';

const MAC = new HmacSha256(Buffer.alloc(32, 9));
const fp = (headers: Record<string, string>): string => headerFingerprint((name) => headers[name], MAC);

const BROWSER = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131',
  'accept-language': 'en-GB,en;q=0.9',
  'accept-encoding': 'gzip, br',
  'sec-ch-ua': '"Chromium";v="131"',
  'sec-ch-ua-mobile': '?0',
  'sec-ch-ua-platform': '"Linux"',
  'sec-fetch-site': 'same-origin',
};

describe('header fingerprint', () => {
  it('is the same for one browser\'s navigations and fetch calls, whatever else differs', () => {
    const navigation = fp({ ...BROWSER, accept: 'text/html', 'sec-fetch-mode': 'navigate', 'upgrade-insecure-requests': '1' });
    const call = fp({ ...BROWSER, accept: '*/*', 'sec-fetch-mode': 'cors', 'content-type': 'application/json', origin: 'https://shop.example', 'x-forwarded-for': '198.51.100.4' });
    assert.equal(navigation, call);
    assert.match(navigation, /^[0-9a-f]{16}$/);
  });

  it('changes with the user agent, the language, or the client hints a client sends', () => {
    const base = fp(BROWSER);
    assert.notEqual(fp({ ...BROWSER, 'user-agent': 'curl/8.5' }), base);
    assert.notEqual(fp({ ...BROWSER, 'accept-language': 'fr' }), base);
    const { 'sec-ch-ua': _drop, ...noHints } = BROWSER;
    assert.notEqual(fp(noHints), base);
  });

  it('depends on the key', () => {
    assert.notEqual(headerFingerprint((n) => (BROWSER as Record<string, string>)[n], new HmacSha256(Buffer.alloc(32, 1))), fp(BROWSER));
  });
});
