/**
 * Cloud providers' published range files:
 * - AWS `ip-ranges.json` (`https://ip-ranges.amazonaws.com/ip-ranges.json`): `prefixes[].ip_prefix`
 *   and `ipv6_prefixes[].ipv6_prefix`, with `service` and `region`;
 * - Google Cloud `cloud.json` (`https://www.gstatic.com/ipranges/cloud.json`): `prefixes[].ipv4Prefix`
 *   or `ipv6Prefix`, with `scope` (the region);
 * - Azure service tags (`ServiceTags_Public_*.json` from the Microsoft download centre):
 *   `values[].properties.addressPrefixes`, labelled by the tag name (`AzureCloud.eastus`).
 * A file that is not valid JSON of the expected shape throws ParseError (a truncated download
 * is never half-used).
 */
import { LabelledRanges, ParseError } from '../source-data.ts';
import type { SourceData } from '../source-data.ts';

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ParseError(0, `not valid JSON (truncated?): ${(err as Error).message}`);
  }
}

function list(value: unknown, what: string): Record<string, unknown>[] {
  if (!Array.isArray(value)) throw new ParseError(0, `expected ${what} to be a list`);
  return value as Record<string, unknown>[];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * @example
 * parseAwsRanges('{"prefixes":[{"ip_prefix":"3.5.140.0/22","region":"ap-northeast-2","service":"AMAZON"}],"ipv6_prefixes":[]}').entries; // 1
 */
export function parseAwsRanges(text: string): SourceData {
  const doc = parseJson(text) as Record<string, unknown> | null;
  const out = new LabelledRanges();
  const v4 = list(doc?.['prefixes'], '`prefixes`');
  const v6 = doc?.['ipv6_prefixes'] === undefined ? [] : list(doc['ipv6_prefixes'], '`ipv6_prefixes`');
  // The AMAZON service is the superset of every other; listing it after the specific services' copies
  // of the same prefix would make it win ties, so specific services go last.
  const ordered = [...v4, ...v6].sort((a, b) => Number(str(a['service']) !== 'AMAZON') - Number(str(b['service']) !== 'AMAZON'));
  ordered.forEach((p, i) => out.cidr(str(p['ip_prefix'] ?? p['ipv6_prefix']), `AWS ${str(p['service'])} ${str(p['region'])}`.trim(), i + 1));
  return out.finish();
}

/**
 * @example
 * parseGoogleCloudRanges('{"prefixes":[{"ipv4Prefix":"34.1.208.0/20","service":"Google Cloud","scope":"africa-south1"}]}').entries; // 1
 */
export function parseGoogleCloudRanges(text: string): SourceData {
  const doc = parseJson(text) as Record<string, unknown> | null;
  const out = new LabelledRanges();
  list(doc?.['prefixes'], '`prefixes`').forEach((p, i) => {
    out.cidr(str(p['ipv4Prefix'] ?? p['ipv6Prefix']), `${str(p['service']) || 'Google Cloud'} ${str(p['scope'])}`.trim(), i + 1);
  });
  return out.finish();
}

/**
 * @example
 * parseAzureServiceTags('{"values":[{"name":"AzureCloud.eastus","properties":{"addressPrefixes":["20.42.0.0/17"]}}]}').entries; // 1
 */
export function parseAzureServiceTags(text: string): SourceData {
  const doc = parseJson(text) as Record<string, unknown> | null;
  const out = new LabelledRanges();
  let n = 0;
  for (const tag of list(doc?.['values'], '`values`')) {
    const props = tag['properties'] as Record<string, unknown> | undefined;
    const label = `Azure ${str(tag['name'])}`.trim();
    for (const prefix of list(props?.['addressPrefixes'], '`values[].properties.addressPrefixes`')) out.cidr(str(prefix), label, ++n);
  }
  return out.finish();
}
