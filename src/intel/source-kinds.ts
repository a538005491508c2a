/**
 * What each `intel.sources[].kind` means: how its file is parsed, its default category, and where it is
 * found when the policy gives neither `path` nor `url`.
 */
import { createRequire } from 'node:module';
import type { IntelSourceDocument } from '../policy/schema.ts';
import { parseAsnCsv } from './parsers/asn-csv.ts';
import { parseAwsRanges, parseAzureServiceTags, parseGoogleCloudRanges } from './parsers/cloud-ranges.ts';
import { parseIpList } from './parsers/ip-list.ts';
import { openMmdb } from './parsers/mmdb.ts';
import type { MmdbDatabase } from './parsers/mmdb.ts';
import { parseTorExits } from './parsers/tor-exits.ts';
import type { SourceData } from './source-data.ts';

export type IntelKind = IntelSourceDocument['kind'];

/** A parsed source: ranges, or an opened database. */
export type ParsedSource = { ranges: SourceData; mmdb: null } | { ranges: null; mmdb: MmdbDatabase };

/** Parses the bodies of a source's files (several files are one source, e.g. the IPv4 and IPv6 tables). */
export function parseSource(kind: IntelKind, name: string, bodies: readonly Buffer[]): ParsedSource {
  if (kind === 'mmdb-country' || kind === 'mmdb-asn') return { ranges: null, mmdb: openMmdb(bodies[0]!) };
  const text = bodies.length === 1 ? bodies[0]!.toString('utf8') : bodies.map((b) => b.toString('utf8')).join('\n');
  switch (kind) {
    case 'asn-csv':
      return { ranges: parseAsnCsv(text), mmdb: null };
    case 'tor':
      return { ranges: parseTorExits(text), mmdb: null };
    case 'aws':
      return { ranges: parseAwsRanges(text), mmdb: null };
    case 'gcp':
      return { ranges: parseGoogleCloudRanges(text), mmdb: null };
    case 'azure':
      return { ranges: parseAzureServiceTags(text), mmdb: null };
    case 'list':
      return { ranges: parseIpList(text, name), mmdb: null };
  }
}

/** The category every address of the source is in, or null (ASN and country sources). */
export function defaultCategory(kind: IntelKind): string | null {
  if (kind === 'tor') return 'tor';
  if (kind === 'aws' || kind === 'gcp' || kind === 'azure') return 'datacenter';
  return null;
}

/** Files from installed packages for kinds that have a well-known one; null when not installed. */
export function packagedFiles(kind: IntelKind): string[] | null {
  const require = createRequire(import.meta.url);
  const find = (spec: string): string | null => {
    try {
      return require.resolve(spec);
    } catch {
      return null;
    }
  };
  if (kind === 'asn-csv') {
    const v4 = find('@ip-location-db/asn/asn-ipv4.csv');
    const v6 = find('@ip-location-db/asn/asn-ipv6.csv');
    return v4 === null || v6 === null ? null : [v4, v6];
  }
  if (kind === 'mmdb-country') {
    const db = find('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');
    return db === null ? null : [db];
  }
  return null;
}

/** Package names to mention when {@link packagedFiles} finds nothing. */
export const PACKAGE_HINT: Readonly<Partial<Record<IntelKind, string>>> = {
  'asn-csv': '@ip-location-db/asn',
  'mmdb-country': '@ip-location-db/geo-whois-asn-country-mmdb',
};
