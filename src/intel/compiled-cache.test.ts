import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCompiled, writeCompiled } from './compiled-cache.ts';
import { parseAsnCsv } from './parsers/asn-csv.ts';

const csv = readFileSync(new URL('../../test/fixtures/intel/asn-ipv4.csv', import.meta.url), 'utf8') + readFileSync(new URL('../../test/fixtures/intel/asn-ipv6.csv', import.meta.url), 'utf8');

test('a compiled copy answers exactly like the parsed source, and only for the same files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-compiled-'));
  const path = join(dir, 'asn.compiled');
  const data = parseAsnCsv(csv);
  writeCompiled(path, 'stamp-1', data);
  const back = readCompiled(path, 'stamp-1')!;
  assert.equal(back.entries, data.entries);
  assert.deepEqual(back.labels, data.labels);
  for (const ip of ['3.5.140.1', '81.2.69.160', '2a01:4f8::1', '2001:db8::9', '9.9.9.9']) {
    assert.equal(back.set.lookup(ip), data.set.lookup(ip), ip);
  }
  assert.deepEqual([...back.asns!], [...data.asns!]);
  assert.equal(readCompiled(path, 'stamp-2'), null);
  writeFileSync(path, readFileSync(path).subarray(0, 100));
  assert.equal(readCompiled(path, 'stamp-1'), null);
  assert.equal(readCompiled(join(dir, 'missing'), 'stamp-1'), null);
  rmSync(dir, { recursive: true });
});
