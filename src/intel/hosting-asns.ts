/**
 * The hosting / datacenter ASN set: the bundled curated list (data/hosting-asns.json; how it was
 * compiled is written in the file) plus the operator's additions, minus their exceptions.
 */
import type { IntelDocument } from '../policy/schema.ts';
// Imported rather than read, so that the compiler copies it into dist/ with the code.
import hostingFile from './data/hosting-asns.json' with { type: 'json' };

let bundled: ReadonlyMap<number, string> | null = null;

/** The bundled list, as a map, built once per process. */
export function bundledHostingAsns(): ReadonlyMap<number, string> {
  bundled ??= new Map(hostingFile.asns.map((e) => [e.asn, e.name]));
  return bundled;
}

/**
 * ASN → provider name for every ASN that counts as hosting under the policy.
 *
 * @example
 * hostingAsns({ builtin: true, add: [{ asn: 64500, name: 'our colo' }], except: [15169] }).get(16509); // 'Amazon (AWS)'
 */
export function hostingAsns(config: IntelDocument['hosting']): ReadonlyMap<number, string> {
  const out = new Map(config.builtin ? bundledHostingAsns() : []);
  for (const entry of config.add) {
    if (typeof entry === 'number') out.set(entry, `AS${entry} (policy)`);
    else out.set(entry.asn, entry.name ?? `AS${entry.asn} (policy)`);
  }
  for (const asn of config.except) out.delete(asn);
  return out;
}
