import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectFormat } from './detect-format.ts';

const JSONL = '{"ts":"2026-11-23T10:00:00.123Z","ip":"203.0.113.7","method":"GET","url":"/","status":200}';
const NGINX = '203.0.113.7 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5"';

describe('detectFormat', () => {
  it('recognises JSON lines', () => {
    assert.equal(detectFormat([JSONL, JSONL]), 'jsonl');
  });

  it('recognises nginx lines, common or combined', () => {
    assert.equal(detectFormat([NGINX, '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326']), 'nginx');
  });

  it('skips empty and blank lines, and a byte-order mark', () => {
    assert.equal(detectFormat(['', '   ', '\r', NGINX]), 'nginx');
    assert.equal(detectFormat(['', '\ufeff' + JSONL]), 'jsonl');
  });

  it('goes with the majority, so one junk first line does not decide', () => {
    assert.equal(detectFormat(['garbage', JSONL, JSONL]), 'jsonl');
    assert.equal(detectFormat(['{"truncated', NGINX, NGINX]), 'nginx');
  });

  it('looks at no more than the first 20 non-empty lines', () => {
    assert.equal(detectFormat([...Array<string>(20).fill(NGINX), ...Array<string>(30).fill(JSONL)]), 'nginx');
  });

  it('defaults to jsonl for empty input or a tie', () => {
    assert.equal(detectFormat([]), 'jsonl');
    assert.equal(detectFormat(['', '']), 'jsonl');
    assert.equal(detectFormat([JSONL, NGINX]), 'jsonl');
  });
});
