import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { isJsonContentType, parseJsonBody, readJsonBody } from './body-buffer.ts';

function fakeRequest(): PassThrough & IncomingMessage {
  return new PassThrough() as PassThrough & IncomingMessage;
}

describe('JSON body buffering', () => {
  it('parses JSON, skipping a byte-order mark, and gives undefined for empty or invalid bodies', () => {
    assert.deepEqual(parseJsonBody(Buffer.from('{"username":"alice"}')), { username: 'alice' });
    assert.deepEqual(parseJsonBody(Buffer.from('\ufeff{"a":1}', 'utf8')), { a: 1 });
    assert.equal(parseJsonBody(Buffer.alloc(0)), undefined);
    assert.equal(parseJsonBody(Buffer.from('{oops')), undefined);
  });

  it('recognises JSON media types', () => {
    for (const t of ['application/json', 'application/json; charset=utf-8', 'application/vnd.api+json', 'Application/JSON']) assert.equal(isJsonContentType(t), true, t);
    for (const t of [undefined, 'text/plain', 'multipart/form-data']) assert.equal(isJsonContentType(t), false, String(t));
  });

  it('hands over the exact bytes read', async () => {
    const req = fakeRequest();
    const result = new Promise<[Buffer, unknown]>((resolve, reject) =>
      readJsonBody(req, 100, { bodyRead: (bytes, parsed) => resolve([bytes, parsed]), bodyTooLarge: () => reject(new Error('too large')) }),
    );
    req.write('{"a":');
    req.end(' [1, 2] }');
    const [bytes, parsed] = await result;
    assert.equal(bytes.toString(), '{"a": [1, 2] }');
    assert.deepEqual(parsed, { a: [1, 2] });
  });

  it('stops at the first byte past the limit', async () => {
    const req = fakeRequest();
    let read = false;
    const tooLarge = new Promise<void>((resolve) => readJsonBody(req, 10, { bodyRead: () => (read = true), bodyTooLarge: resolve }));
    req.write('0123456789');
    req.write('x');
    await tooLarge;
    req.end();
    await new Promise((r) => setImmediate(r));
    assert.equal(read, false);
    assert.equal(req.isPaused(), true);
  });
});
