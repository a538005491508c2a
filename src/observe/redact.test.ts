import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, isRampartError } from '../errors.ts';
import { createRedactor, normaliseFieldName } from './redact.ts';

const KEY = 'test-hash-key-0123456789abcdef';
const expected = (value: string, key = KEY): string => 'hmac:' + createHmac('sha256', key).update(value).digest('base64url').slice(0, 22);

describe('redact: keyed hash', () => {
  it('is hmac: and the first 22 base64url characters of HMAC-SHA256 under the configured key', () => {
    const r = createRedactor({ hashKey: KEY });
    assert.equal(r.hash('hunter2'), expected('hunter2'));
    assert.match(r.hash('hunter2'), /^hmac:[A-Za-z0-9_-]{22}$/);
  });

  it('gives equal values equal hashes and different keys different hashes', () => {
    const a = createRedactor({ hashKey: KEY });
    const b = createRedactor({ hashKey: KEY + 'x' });
    assert.equal(a.hash('same'), a.hash('same'));
    assert.notEqual(a.hash('same'), a.hash('other'));
    assert.notEqual(a.hash('same'), b.hash('same'));
  });

  it('uses one random key per process when none is configured', () => {
    assert.equal(createRedactor().hash('v'), createRedactor().hash('v'));
    assert.notEqual(createRedactor().hash('v'), expected('v'));
  });

  it('refuses a hash key shorter than 16 characters', () => {
    assert.throws(() => createRedactor({ hashKey: 'short' }), (err) => isRampartError(err) && err.code === ErrorCode.INVALID_ARGUMENT);
  });
});

describe('redact: which names are secret', () => {
  const r = createRedactor({ hashKey: KEY, headers: ['X-Customer-Key'], fields: ['Membership_No'] });

  it('hashes the listed credential headers, configured ones, and look-alikes', () => {
    for (const h of ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token', 'x-csrf-token', 'x-customer-key', 'X-Customer-Key', 'x-session-token', 'Authorization']) {
      assert.equal(r.isSecretHeader(h), true, h);
    }
    for (const h of ['user-agent', 'accept', 'host', 'content-type', 'x-forwarded-for', 'x-request-id']) assert.equal(r.isSecretHeader(h), false, h);
  });

  it('hashes body fields by name whatever their case or separators', () => {
    for (const f of ['password', 'PASSWORD', 'newPassword', 'new-password', 'current_password', 'passwordConfirmation', 'pin', 'otp', 'code', 'cvv', 'cardNumber', 'apiKey', 'client_secret', 'refreshToken', 'membershipNo']) {
      assert.equal(r.isSecretField(f), true, f);
    }
    for (const f of ['username', 'email', 'phone', 'productId', 'qty', 'page', 'postcode', 'passenger']) assert.equal(r.isSecretField(f), false, f);
  });

  it('normalises field names to lower case without - and _', () => {
    assert.equal(normaliseFieldName('New_Pass-Word'), 'newpassword');
    assert.equal(normaliseFieldName('plain'), 'plain');
  });
});

describe('redact: authorization header', () => {
  const r = createRedactor({ hashKey: KEY });

  it('keeps a known scheme visible and hashes the whole value', () => {
    assert.equal(r.headerValue('authorization', 'Bearer abc.def'), 'Bearer ' + expected('Bearer abc.def'));
    assert.equal(r.headerValue('authorization', 'basic dXNlcjpwYXNz'), 'basic ' + expected('basic dXNlcjpwYXNz'));
    assert.equal(r.headerValue('proxy-authorization', 'Digest x=1'), 'Digest ' + expected('Digest x=1'));
  });

  it('never shows an unknown first word, which could be the secret itself', () => {
    assert.equal(r.headerValue('authorization', 'hunter2 extra'), expected('hunter2 extra'));
    assert.equal(r.headerValue('authorization', 'hunter2'), expected('hunter2'));
  });

  it('hashes other secret headers whole', () => {
    assert.equal(r.headerValue('cookie', 'sid=abc; theme=dark'), expected('sid=abc; theme=dark'));
    assert.equal(r.headerValue('x-api-key', 'Bearer k'), expected('Bearer k'));
  });
});

describe('redact: query strings', () => {
  const r = createRedactor({ hashKey: KEY, fields: ['key'] });

  it('hashes secret parameter values and keeps every other byte', () => {
    assert.equal(r.url('/reset?token=abc&page=2'), `/reset?token=${expected('abc')}&page=2`);
    assert.equal(r.url('/a/b?x=%2F&Password=p%20q+r&&y#frag'), `/a/b?x=%2F&Password=${expected('p q r')}&&y#frag`);
    assert.equal(r.url('/maps?key=AIza123&q=x'), `/maps?key=${expected('AIza123')}&q=x`);
  });

  it('decodes parameter names before matching them', () => {
    assert.equal(r.url('/x?access%5Ftoken=t'), `/x?access%5Ftoken=${expected('t')}`);
  });

  it('leaves URLs without secret parameters untouched (same string)', () => {
    const url = '/api/products?page=2&sort=price%20asc';
    assert.equal(r.url(url), url);
    assert.equal(r.url('/plain'), '/plain');
    assert.equal(r.url('/x?token'), '/x?token');
  });

  it('does not read a fragment as query', () => {
    assert.equal(r.url('/x?a=1#token=zzz'), '/x?a=1#token=zzz');
  });

  it('hashes a token the same whether it came percent-encoded or not', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30 }), (secret) => {
        const logged = r.url('/x?token=' + encodeURIComponent(secret));
        assert.equal(logged, '/x?token=' + r.hash(secret));
      }),
    );
  });
});
