/**
 * IP intelligence from local data: "what is this IP?" answered from the configured sources (ASN table,
 * hosting ASNs, Tor exits, cloud ranges, the operator's lists, MaxMind databases) without any network
 * call on the request path.
 *
 * Each source keeps its own range set; a lookup asks each in turn (a handful of binary searches) and
 * combines the answers: categories are the union of every source's category, plus `datacenter` when
 * the ASN is a hosting one; the ASN and organisation come from the first ASN source that knows the
 * address; the country from the first country database, computed only when asked for.
 *
 * A source's data is replaced as a whole (one assignment) when it is refreshed, so a lookup sees either
 * the old copy or the new one, never a mix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { systemClock } from '../engine/clock.ts';
import type { Clock } from '../engine/clock.ts';
import { ErrorCode, RampartError } from '../errors.ts';
import type { ConfigIssue } from '../errors.ts';
import { silentLogger } from '../logger.ts';
import type { Logger } from '../logger.ts';
import { parseIpInto } from '../net/ip.ts';
import { parseDuration } from '../policy/duration.ts';
import type { IntelDocument, IntelSourceDocument } from '../policy/schema.ts';
import { hostingAsns } from './hosting-asns.ts';
import { IntelAnswer } from './intel-answer.ts';
import type { IntelMatch } from './intel-answer.ts';
import { COMPILE_MIN_BYTES, fileStamp, readCompiled, writeCompiled } from './compiled-cache.ts';
import { readCachedFeed } from './feed-cache.ts';
import type { MmdbDatabase } from './parsers/mmdb.ts';
import { NO_VALUE } from './range-set.ts';
import { defaultCategory, PACKAGE_HINT, packagedFiles, parseSource } from './source-kinds.ts';
import type { IntelKind, ParsedSource } from './source-kinds.ts';
import type { SourceData } from './source-data.ts';

/** Categories every intel instance knows, in bit order. */
export const BUILTIN_CATEGORIES = ['datacenter', 'tor', 'vpn', 'proxy'] as const;
/** Default risk weights of the category signals. */
export const DEFAULT_WEIGHTS: Readonly<Record<string, number>> = { datacenter: 20, tor: 50, proxy: 40, vpn: 20 };
const MAX_CATEGORIES = 31;
const DAY_MS = 86_400_000;

/** One source's live state; `data`/`mmdb` are swapped whole on refresh. */
export interface SourceState {
  readonly name: string;
  readonly kind: IntelKind;
  readonly category: string | null;
  readonly bit: number;
  readonly url: string | null;
  readonly files: readonly string[];
  readonly refreshMs: number;
  data: SourceData | null;
  mmdb: MmdbDatabase | null;
  /** When the data in use was read or fetched (clock ms), or null when there is none. */
  loadedAt: number | null;
  /** Where the data in use came from: file paths, the URL, or the disk cache. */
  origin: string;
  lastAttempt: number | null;
  lastError: string | null;
  etag: string | null;
  lastModified: string | null;
  refreshed: number;
  notModified: number;
  failed: number;
}

/** What `rampart intel stats` prints and metrics export, per source. */
export interface SourceStats {
  readonly name: string;
  readonly kind: IntelKind;
  readonly category: string | null;
  readonly origin: string;
  readonly entries: number;
  readonly ranges: number;
  readonly bytes: number;
  readonly loadedAt: number | null;
  readonly lastAttempt: number | null;
  readonly lastError: string | null;
  readonly refreshed: number;
  readonly notModified: number;
  readonly failed: number;
}

export interface IntelOptions {
  /** Relative paths (sources, cache_dir) are resolved against it. Default: the working directory. */
  baseDir?: string;
  logger?: Logger;
  clock?: Clock;
}

/**
 * Loads every source from local data (files, packages, and the disk cache of `url` sources) and answers
 * lookups. Never touches the network; see feed-refresh.ts for that.
 *
 * @throws RampartError INVALID_CONFIG when a required local file is missing or broken.
 * @example
 * const intel = new Intel(policy.intel!, { baseDir: 'examples/shop' });
 * intel.lookup('3.5.140.2')?.categories(); // ['datacenter']
 */
export class Intel {
  readonly config: IntelDocument;
  readonly sources: readonly SourceState[];
  readonly cacheDir: string;
  readonly categoryNames: readonly string[];
  readonly hosting: ReadonlyMap<number, string>;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly #probe = new Uint32Array(4);
  readonly #categoryBits = new Map<string, number>();
  readonly #hostingBit: number;

  constructor(config: IntelDocument, options: IntelOptions = {}) {
    const baseDir = options.baseDir ?? process.cwd();
    const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
    this.config = config;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.cacheDir = at(config.cache_dir);
    this.hosting = hostingAsns(config.hosting);
    const issues: ConfigIssue[] = [];

    const names = [...BUILTIN_CATEGORIES, ...config.sources.map((s) => s.category ?? defaultCategory(s.kind)), ...Object.keys(config.weights)];
    for (const n of names) if (n !== null && !this.#categoryBits.has(n)) this.#categoryBits.set(n, 1 << this.#categoryBits.size);
    this.categoryNames = [...this.#categoryBits.keys()];
    if (this.categoryNames.length > MAX_CATEGORIES) issues.push({ path: 'intel.sources', message: `at most ${MAX_CATEGORIES} categories; this policy has ${this.categoryNames.length}` });
    this.#hostingBit = this.#categoryBits.get('datacenter')!;

    const seen = new Set<string>();
    const sources: SourceState[] = [];
    config.sources.forEach((doc, i) => {
      const path = `intel.sources[${i}]`;
      if (seen.has(doc.name)) issues.push({ path: `${path}.name`, message: `source name \`${doc.name}\` is used twice; names must be unique` });
      seen.add(doc.name);
      const state = this.#load(doc, path, at, issues);
      if (state !== null) sources.push(state);
    });
    this.sources = sources;
    if (issues.length > 0) throw new RampartError(ErrorCode.INVALID_CONFIG, `intel: ${issues.map((x) => `${x.path}: ${x.message}`).join('; ')}`, { issues });
  }

  /** The bit of a category, or 0 when the policy has no such category. */
  categoryBit(name: string): number {
    return this.#categoryBits.get(name) ?? 0;
  }

  /** True when some source can give ASNs (an `asn-csv` or `mmdb-asn` source). */
  get hasAsnSource(): boolean {
    return this.config.sources.some((s) => s.kind === 'asn-csv' || s.kind === 'mmdb-asn');
  }

  /** True when some source can give countries. */
  get hasCountrySource(): boolean {
    return this.config.sources.some((s) => s.kind === 'mmdb-country');
  }

  /**
   * Everything known about an address (canonical text), or null when it is not an address.
   * Country is looked up only when read.
   */
  lookup(ip: string): IntelAnswer | null {
    const w = this.#probe;
    const version = parseIpInto(ip, w);
    if (version === 0) return null;
    let mask = 0;
    let asn = 0;
    let org: string | null = null;
    let matches: IntelMatch[] | null = null;
    for (const s of this.sources) {
      const data = s.data;
      if (data !== null) {
        const v = version === 4 ? data.set.lookup4(w[0]!) : data.set.lookup6(w[0]!, w[1]!, w[2]!, w[3]!);
        if (v === NO_VALUE) continue;
        if (data.asns !== null) {
          if (asn !== 0) continue;
          asn = data.asns[v]!;
          const name = data.labels[v]!;
          org = name;
          (matches ??= []).push({ source: s.name, category: null, label: name });
          continue;
        }
        mask |= s.bit;
        (matches ??= []).push({ source: s.name, category: s.category, label: data.labels[v]! });
      } else if (s.mmdb !== null && s.kind === 'mmdb-asn' && asn === 0) {
        const r = s.mmdb.asn(ip);
        if (r === null) continue;
        asn = r.asn;
        org = r.org;
        (matches ??= []).push({ source: s.name, category: null, label: r.org });
      }
    }
    if (asn !== 0) {
      const hoster = this.hosting.get(asn);
      if (hoster !== undefined) {
        mask |= this.#hostingBit;
        (matches ??= []).push({ source: 'hosting-asns', category: 'datacenter', label: hoster });
      }
    }
    return new IntelAnswer(this, ip, mask, asn, org, matches ?? []);
  }

  /** The country of an address from the first country database that knows it. */
  country(ip: string): { country: string; source: string } | null {
    for (const s of this.sources) {
      if (s.kind !== 'mmdb-country' || s.mmdb === null) continue;
      const c = s.mmdb.country(ip);
      if (c !== null) return { country: c, source: s.name };
    }
    return null;
  }

  /** Size, age and refresh counts of every source. */
  stats(): SourceStats[] {
    return this.sources.map((s) => ({
      name: s.name,
      kind: s.kind,
      category: s.category,
      origin: s.origin,
      entries: s.data?.entries ?? s.mmdb?.nodes ?? 0,
      ranges: s.data === null ? 0 : s.data.set.size4 + s.data.set.size6,
      bytes: s.data?.set.bytes ?? s.mmdb?.bytes ?? 0,
      loadedAt: s.loadedAt,
      lastAttempt: s.lastAttempt,
      lastError: s.lastError,
      refreshed: s.refreshed,
      notModified: s.notModified,
      failed: s.failed,
    }));
  }

  /** Swaps in a parsed copy of a source (refresh); lookups see the old or the new copy, never a mix. */
  install(state: SourceState, parsed: ParsedSource, origin: string, at: number): void {
    state.data = parsed.ranges;
    state.mmdb = parsed.mmdb;
    state.origin = origin;
    state.loadedAt = at;
  }

  #load(doc: IntelSourceDocument, path: string, at: (p: string) => string, issues: ConfigIssue[]): SourceState | null {
    const category = doc.category ?? defaultCategory(doc.kind);
    if (doc.kind === 'list' && doc.category === undefined) {
      issues.push({ path: `${path}.category`, message: 'a `list` source needs a `category`, e.g. `vpn`, `proxy` or a name of your own' });
      return null;
    }
    if (doc.path !== undefined && doc.url !== undefined) {
      issues.push({ path, message: 'give `path` or `url`, not both' });
      return null;
    }
    if ((doc.kind === 'mmdb-country' || doc.kind === 'mmdb-asn') && Array.isArray(doc.path) && doc.path.length > 1) {
      issues.push({ path: `${path}.path`, message: 'an mmdb source reads one file; add a source per database' });
      return null;
    }
    let files: string[] = [];
    if (doc.path !== undefined) files = (Array.isArray(doc.path) ? doc.path : [doc.path]).map(at);
    else if (doc.url === undefined) {
      const packaged = packagedFiles(doc.kind);
      if (packaged === null) {
        const hint = PACKAGE_HINT[doc.kind];
        if (hint === undefined || !doc.optional) {
          issues.push({ path, message: hint === undefined ? 'give `path` or `url`' : `no \`path\` or \`url\`, and ${hint} is not installed: npm install ${hint}, or give a path, or set optional: true` });
          return null;
        }
        this.logger.warn({ source: doc.name, package: hint }, 'intel source skipped: package not installed');
      } else files = packaged;
    }
    const state: SourceState = {
      name: doc.name,
      kind: doc.kind,
      category,
      bit: category === null ? 0 : this.#categoryBits.get(category)!,
      url: doc.url ?? null,
      files,
      refreshMs: parseDuration(doc.refresh ?? this.config.refresh) ?? DAY_MS,
      data: null,
      mmdb: null,
      loadedAt: null,
      origin: doc.url ?? (files.join(', ') || 'none'),
      lastAttempt: null,
      lastError: null,
      etag: null,
      lastModified: null,
      refreshed: 0,
      notModified: 0,
      failed: 0,
    };
    if (doc.url !== undefined) {
      this.#loadCache(state);
      return state;
    }
    const missing = files.filter((f) => !existsSync(f));
    if (missing.length > 0) {
      if (doc.optional) {
        this.logger.warn({ source: doc.name, missing }, 'intel source skipped: file not found');
        return state;
      }
      issues.push({ path: `${path}.path`, message: `file not found: ${missing.join(', ')} (set optional: true to start without it)` });
      return null;
    }
    if (files.length === 0) return state;
    try {
      this.#loadFiles(state, files);
    } catch (err) {
      issues.push({ path: `${path}.path`, message: `${files.join(', ')}: ${(err as Error).message}` });
      return null;
    }
    return state;
  }

  /** Parses local files, or maps in the compiled copy of big ones built from the same files. */
  #loadFiles(state: SourceState, files: readonly string[]): void {
    const origin = files.join(', ');
    const mmdb = state.kind === 'mmdb-country' || state.kind === 'mmdb-asn';
    const { stamp, bytes } = fileStamp(`${state.kind}|${endianness()}`, files);
    const compiled = join(this.cacheDir, `${state.name}.compiled`);
    const cache = !mmdb && bytes >= COMPILE_MIN_BYTES;
    if (cache) {
      const hit = readCompiled(compiled, stamp);
      if (hit !== null) {
        this.install(state, { ranges: hit, mmdb: null }, origin, this.clock.now());
        return;
      }
    }
    const parsed = parseSource(state.kind, state.name, files.map((f) => readFileSync(f)));
    this.install(state, parsed, origin, this.clock.now());
    if (cache && parsed.ranges !== null) {
      try {
        writeCompiled(compiled, stamp, parsed.ranges);
      } catch (err) {
        this.logger.warn({ source: state.name, dir: this.cacheDir, err: (err as Error).message }, 'intel: could not keep a compiled copy; the files will be parsed again next start');
      }
    }
  }

  /** A `url` source starts from its disk cache, if any: the last good copy, whatever the network says. */
  #loadCache(state: SourceState): void {
    const cached = readCachedFeed(this.cacheDir, state.name);
    if (cached === null || cached.meta.url !== state.url) return;
    try {
      this.install(state, parseSource(state.kind, state.name, [cached.body]), `cache ${join(this.cacheDir, state.name)} (${state.url})`, cached.meta.fetchedAt);
      state.etag = cached.meta.etag;
      state.lastModified = cached.meta.lastModified;
    } catch (err) {
      this.logger.warn({ source: state.name, err: (err as Error).message }, 'intel: the cached copy is unreadable; waiting for a refresh');
    }
  }
}
