import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { NO_VALUE } from '../range-set.ts';
import type { SourceData } from '../source-data.ts';
import { ParseError } from '../source-data.ts';
import { parseAsnCsv } from './asn-csv.ts';
import { parseAwsRanges, parseAzureServiceTags, parseGoogleCloudRanges } from './cloud-ranges.ts';
import { parseIpList } from './ip-list.ts';
import { openMmdb } from './mmdb.ts';
import { parseTorExits } from './tor-exits.ts';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/intel/${name}`, import.meta.url), 'utf8');
const label = (d: SourceData, ip: string) => {
  const v = d.set.lookup(ip);
  return v === NO_VALUE ? null : d.labels[v];
};
const asn = (d: SourceData, ip: string) => {
  const v = d.set.lookup(ip);
  return v === NO_VALUE ? null : d.asns![v];
};

test('asn-csv: reads ranges, ASNs and quoted organisations of both address versions', () => {
  const d = parseAsnCsv(`${fixture('asn-ipv4.csv')}\n${fixture('asn-ipv6.csv')}`);
  assert.equal(d.entries, 7);
  assert.equal(asn(d, '3.5.140.1'), 16509);
  assert.equal(label(d, '3.5.140.1'), 'Amazon.com, Inc.');
  assert.equal(label(d, '81.2.69.160'), 'Example "Home" ISP');
  assert.equal(asn(d, '2a01:4f8:c0c:1::1'), 24940);
  assert.equal(asn(d, '4.0.0.1'), null);
});

test('asn-csv: reads the numeric (-num) variant', () => {
  const d = parseAsnCsv(fixture('asn-ipv4-num.csv'));
  assert.equal(asn(d, '1.0.0.9'), 13335);
  assert.equal(asn(d, '203.0.113.9'), 64496);
});

test('asn-csv: a truncated file is refused with its line number', () => {
  assert.throws(() => parseAsnCsv(fixture('asn-truncated.csv')), (err: unknown) => err instanceof ParseError && err.line === 2);
  assert.throws(() => parseAsnCsv('1.0.0.0,1.0.0.255,AS13335,x\n'), /not an ASN/);
});

test('tor: the bulk exit list and the TorDNSEL format give the same kind of answer', () => {
  const bulk = parseTorExits(fixture('tor-bulk.txt'));
  assert.equal(bulk.entries, 3);
  assert.equal(label(bulk, '185.220.101.2'), 'tor exit');
  assert.equal(label(bulk, '2001:db8:7::1'), 'tor exit');
  assert.equal(label(bulk, '185.220.101.3'), null);
  const dnsel = parseTorExits(fixture('tor-exit-addresses.txt'));
  assert.equal(dnsel.entries, 3);
  assert.equal(label(dnsel, '192.0.2.67'), 'tor exit');
  assert.throws(() => parseTorExits('ExitNode X\nGarbage here\n'), ParseError);
});

test('aws: prefixes of both versions, labelled by service and region; specific services win over AMAZON', () => {
  const d = parseAwsRanges(fixture('aws-ip-ranges.json'));
  assert.equal(d.entries, 4);
  assert.equal(label(d, '3.5.141.1'), 'AWS S3 ap-northeast-2');
  assert.equal(label(d, '52.95.1.1'), 'AWS EC2 us-east-1');
  assert.equal(label(d, '2600:1f18::1'), 'AWS EC2 us-east-1');
});

test('gcp and azure: range files are read with their regions and tags', () => {
  const g = parseGoogleCloudRanges(fixture('gcp-cloud.json'));
  assert.equal(label(g, '34.1.208.5'), 'Google Cloud africa-south1');
  assert.equal(label(g, '2600:1900:8000::1'), 'Google Cloud us-central1');
  const a = parseAzureServiceTags(fixture('azure-service-tags.json'));
  assert.equal(a.entries, 3);
  assert.equal(label(a, '20.42.1.1'), 'Azure AzureCloud.eastus');
  assert.equal(label(a, '20.60.0.9'), 'Azure Storage.WestEurope');
});

test('cloud files that are truncated or of another shape are refused', () => {
  const text = fixture('aws-ip-ranges.json');
  assert.throws(() => parseAwsRanges(text.slice(0, text.length / 2)), /not valid JSON/);
  assert.throws(() => parseGoogleCloudRanges('{"items": []}'), /prefixes/);
  assert.throws(() => parseAzureServiceTags('[]'), /values/);
});

test('list: addresses, CIDRs and ranges with comments, under the list name', () => {
  const d = parseIpList(fixture('vpn.txt'), 'vpn-list');
  assert.equal(d.entries, 3);
  assert.equal(label(d, '198.51.100.77'), 'vpn-list');
  assert.equal(label(d, '192.0.2.205'), 'vpn-list');
  assert.equal(label(d, '192.0.2.211'), null);
  assert.equal(label(d, '2001:db8:5:1::1'), 'vpn-list');
  assert.throws(() => parseIpList(fixture('broken-list.txt'), 'x'), (err: unknown) => err instanceof ParseError && err.line === 2);
});

test('mmdb: reads the country of an ip-location-db database and refuses what is not one', () => {
  const db = openMmdb(readFileSync(new URL('../../../node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb', import.meta.url)));
  assert.match(db.country('8.8.8.8') ?? '', /^[A-Z]{2}$/);
  assert.equal(db.country('10.0.0.1'), null);
  assert.throws(() => openMmdb(Buffer.from('not a database')), ParseError);
});
