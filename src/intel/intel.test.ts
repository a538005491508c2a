import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { isRampartError } from '../errors.ts';
import { parsePolicy } from '../policy/load-policy.ts';
import type { IntelDocument } from '../policy/schema.ts';
import { Intel } from './intel.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/intel/', import.meta.url));

function intelOf(yaml: string): Intel {
  return new Intel(parsePolicy(`intel:\n${yaml}`, { env: {} }).intel as IntelDocument, { baseDir: FIXTURES });
}

const FULL = `
  sources:
    - { name: asn, kind: asn-csv, path: [asn-ipv4.csv, asn-ipv6.csv] }
    - { name: tor, kind: tor, path: tor-exit-addresses.txt }
    - { name: aws, kind: aws, path: aws-ip-ranges.json }
    - { name: vpn, kind: list, path: vpn.txt, category: vpn }
    - { name: country, kind: mmdb-country }
  hosting: { add: [{ asn: 64496, name: Documentation hosting }], except: [16509] }
`;

test('a datacenter address: hosting ASN and cloud range, with the source of each finding', () => {
  const intel = intelOf(FULL);
  const a = intel.lookup('5.9.1.1')!;
  assert.deepEqual(a.categories(), ['datacenter']);
  assert.equal(a.asn, 24940);
  assert.equal(a.org, 'Hetzner Online GmbH');
  assert.deepEqual(a.matches.map((m) => m.source), ['asn', 'hosting-asns']);
  // AWS's own ASN is excepted here, but its published ranges still say datacenter.
  const aws = intel.lookup('3.5.140.9')!;
  assert.equal(aws.asn, 16509);
  assert.deepEqual(aws.categories(), ['datacenter']);
  assert.deepEqual(aws.matches.map((m) => `${m.source}:${m.label}`), ['asn:Amazon.com, Inc.', 'aws:AWS S3 ap-northeast-2']);
});

test('categories from several sources add up; unknown addresses have none', () => {
  const intel = intelOf(FULL);
  assert.deepEqual(intel.lookup('192.0.2.66')!.categories(), ['tor']);
  assert.deepEqual(intel.lookup('192.0.2.205')!.categories(), ['vpn']);
  assert.deepEqual(intel.lookup('203.0.113.9')!.categories(), ['datacenter']); // added by the policy
  const home = intel.lookup('81.2.69.160')!;
  assert.deepEqual(home.categories(), []);
  assert.equal(home.asn, 64512);
  assert.equal(intel.lookup('not an ip'), null);
  assert.equal(intel.lookup('10.1.1.1')!.asn, 0);
});

test('the country comes from the mmdb database, only when asked', () => {
  const intel = intelOf(FULL);
  const a = intel.lookup('8.8.8.8')!;
  assert.match(a.country ?? '', /^[A-Z]{2}$/);
  assert.equal(a.countrySource, 'country');
  assert.equal(intel.lookup('10.0.0.1')!.country, null);
});

test('a missing file is a config error naming the source, unless the source is optional', () => {
  assert.throws(
    () => intelOf(`  sources: [{ name: vpn, kind: list, category: vpn, path: nope.txt }]`),
    (err: unknown) => isRampartError(err) && err.issues[0]!.path === 'intel.sources[0].path' && /file not found/.test(err.issues[0]!.message),
  );
  const intel = intelOf(`  sources: [{ name: vpn, kind: list, category: vpn, path: nope.txt, optional: true }]`);
  assert.deepEqual(intel.lookup('198.51.100.1')!.categories(), []);
  assert.equal(intel.stats()[0]!.entries, 0);
});

test('a broken file is a config error with its line; list sources need a category', () => {
  assert.throws(() => intelOf(`  sources: [{ name: b, kind: list, category: proxy, path: broken-list.txt }]`), /line 2: not an IP address/);
  assert.throws(() => intelOf(`  sources: [{ name: b, kind: list, path: vpn.txt }]`), /needs a `category`/);
  assert.throws(() => intelOf(`  sources: [{ name: a, kind: tor, path: tor-bulk.txt }, { name: a, kind: tor, path: tor-bulk.txt }]`), /used twice/);
});

test("stats report each source's size and origin", () => {
  const stats = intelOf(FULL).stats();
  const asn = stats.find((s) => s.name === 'asn')!;
  assert.equal(asn.entries, 7);
  assert.ok(asn.bytes > 0);
  assert.match(asn.origin, /asn-ipv4\.csv/);
  assert.equal(stats.find((s) => s.name === 'tor')!.entries, 3);
});
