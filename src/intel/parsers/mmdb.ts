/**
 * MaxMind-format `.mmdb` databases through the `maxmind` package: GeoLite2 Country / City / ASN and the
 * ip-location-db mmdb files. Records are read in either shape: GeoLite2 (`country.iso_code`,
 * `autonomous_system_number`, `autonomous_system_organization`) or ip-location-db (`country_code`,
 * `as_number`/`autonomous_system_number`, `as_organization`).
 */
import { Reader } from 'maxmind';
import { ParseError } from '../source-data.ts';

/** An opened database; lookups return null for addresses it does not cover. */
export interface MmdbDatabase {
  readonly type: string;
  readonly nodes: number;
  readonly bytes: number;
  country(ip: string): string | null;
  asn(ip: string): { asn: number; org: string } | null;
}

type Rec = Record<string, unknown> | null;

/**
 * Opens a database held in memory; throws {@link ParseError} when it is not one.
 *
 * @example
 * const db = openMmdb(readFileSync('GeoLite2-Country.mmdb'));
 * db.country('8.8.8.8'); // 'US'
 */
export function openMmdb(buffer: Buffer): MmdbDatabase {
  let reader: Reader<Record<string, unknown>>;
  try {
    reader = new Reader<Record<string, unknown>>(buffer);
  } catch (err) {
    throw new ParseError(0, `not a MaxMind database (truncated?): ${(err as Error).message}`);
  }
  const get = (ip: string): Rec => {
    try {
      return reader.get(ip) as Rec;
    } catch {
      return null;
    }
  };
  return {
    type: reader.metadata.databaseType,
    nodes: reader.metadata.nodeCount,
    bytes: buffer.byteLength,
    country(ip) {
      const r = get(ip);
      if (r === null) return null;
      const code = (r['country'] as Rec)?.['iso_code'] ?? r['country_code'] ?? (r['registered_country'] as Rec)?.['iso_code'];
      return typeof code === 'string' ? code.toUpperCase() : null;
    },
    asn(ip) {
      const r = get(ip);
      if (r === null) return null;
      const asn = r['autonomous_system_number'] ?? r['as_number'] ?? r['asn'];
      const org = r['autonomous_system_organization'] ?? r['as_organization'] ?? r['organization'];
      const n = typeof asn === 'number' ? asn : typeof asn === 'string' ? Number(asn.replace(/^AS/i, '')) : NaN;
      return Number.isInteger(n) && n > 0 ? { asn: n, org: typeof org === 'string' ? org : '' } : null;
    },
  };
}
