/**
 * Is a request that claims to be Googlebot really from Google? Search engines publish how to check:
 * the client IP's reverse DNS name lies under the engine's domain, and that name resolves forward to
 * the same IP (reverse DNS alone can be forged by whoever owns the IP's reverse zone).
 *
 * DNS is never awaited on the request path. The first request from an address starts the check in
 * the background and gets `pending`; later ones get the cached answer. The cache and the number of
 * checks in flight are bounded, so a flood of fake crawlers from many addresses costs a bounded
 * number of lookups, and answers expire (verified after a day, failed after an hour).
 */
import { promises as dns } from 'node:dns';
import { canonicalIp } from '../../net/ip.ts';

export type BotStatus = 'verified' | 'failed' | 'pending' | 'unknown';

/** The DNS calls verification needs; tests pass their own. */
export interface DnsResolver {
  /** PTR names of an IP address. */
  reverse(ip: string): Promise<string[]>;
  /** A and AAAA addresses of a host name. */
  lookup(host: string): Promise<string[]>;
}

/** A crawler that can be verified by DNS, with the domains its reverse names lie under. */
export interface VerifiableCrawler {
  readonly name: string;
  /** Matched against the user agent. */
  readonly userAgent: RegExp;
  /** The reverse name must equal one of these or end with `.` + one of these. */
  readonly domains: readonly string[];
}

/** Crawlers whose operators document reverse-then-forward DNS verification. */
export const VERIFIABLE_CRAWLERS: readonly VerifiableCrawler[] = [
  { name: 'googlebot', userAgent: /googlebot|adsbot-google|mediapartners-google|google-inspectiontool|googleother|storebot-google|apis-google|feedfetcher-google/i, domains: ['googlebot.com', 'google.com', 'googleusercontent.com'] },
  { name: 'bingbot', userAgent: /bingbot|bingpreview|msnbot|adidxbot/i, domains: ['search.msn.com'] },
  { name: 'applebot', userAgent: /applebot/i, domains: ['applebot.apple.com'] },
  { name: 'yandexbot', userAgent: /yandex(?:bot|images|video|mobilebot|metrika|direct|news|blogs|accessibilitybot|renderresourcesbot)/i, domains: ['yandex.ru', 'yandex.net', 'yandex.com'] },
  { name: 'baiduspider', userAgent: /baiduspider/i, domains: ['baidu.com', 'baidu.jp'] },
  { name: 'petalbot', userAgent: /petalbot/i, domains: ['petalsearch.com'] },
  { name: 'seznambot', userAgent: /seznambot/i, domains: ['seznam.cz'] },
  { name: 'naver', userAgent: /\byeti\//i, domains: ['naver.com'] },
  { name: 'sogou', userAgent: /sogou (?:web|inst|pic|news|video)? ?spider/i, domains: ['sogou.com'] },
];

// One pass for the usual answer (no crawler claimed): `bot.fake` is asked about every request a rule
// tests it on (cost per call: `npm run bench:user-agents`).
const ANY_CRAWLER = new RegExp(VERIFIABLE_CRAWLERS.map((c) => c.userAgent.source).join('|'), 'i');

/** The crawler a user agent claims to be, among those that can be verified; null for any other. */
export function claimedCrawler(userAgent: string | undefined): VerifiableCrawler | null {
  if (userAgent === undefined || !ANY_CRAWLER.test(userAgent)) return null;
  for (const c of VERIFIABLE_CRAWLERS) if (c.userAgent.test(userAgent)) return c;
  return null;
}

export interface BotVerifier {
  /** The status of `ip` as `crawler`; starts a background check when none is cached. Never blocks. */
  status(crawler: VerifiableCrawler, ip: string): BotStatus;
  /** Counts for metrics and tests. */
  stats(): { cached: number; inFlight: number; lookups: number };
}

export interface BotVerifierOptions {
  resolver?: DnsResolver;
  /** Milliseconds now; default Date.now. */
  now?: () => number;
  /** Most cached answers (default 10,000). */
  maxEntries?: number;
  /** Most checks in flight at once (default 32); past it, requests stay `pending` until one ends. */
  maxInFlight?: number;
  /** How long answers are kept (ms): verified default 24 h, failed 1 h, errors 1 min. */
  ttl?: { verified?: number; failed?: number; error?: number };
}

const systemResolver: DnsResolver = {
  reverse: (ip) => dns.reverse(ip),
  lookup: async (host) => (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address),
};

// Answers that say "no such name": the address has no PTR, or the name no A/AAAA. Anything else
// (timeouts, SERVFAIL, refused) is an outage, not evidence.
const NO_NAME = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'ENONAME']);

function under(host: string, domains: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return domains.some((d) => h === d || h.endsWith(`.${d}`));
}

/**
 * Creates a verifier with its own cache.
 *
 * @example
 * const verifier = createBotVerifier();
 * verifier.status(claimedCrawler(ua)!, '66.249.66.1') // 'pending' the first time, then 'verified'
 */
export function createBotVerifier(options: BotVerifierOptions = {}): BotVerifier {
  const resolver = options.resolver ?? systemResolver;
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const maxInFlight = options.maxInFlight ?? 32;
  const ttlVerified = options.ttl?.verified ?? 24 * 3600_000;
  const ttlFailed = options.ttl?.failed ?? 3600_000;
  const ttlError = options.ttl?.error ?? 60_000;
  // Key: crawler name + IP. Insertion order is age: the oldest entry goes first when full.
  const cache = new Map<string, { status: BotStatus; expiresAt: number }>();
  let inFlight = 0;
  let lookups = 0;

  function remember(key: string, status: BotStatus, ttl: number): void {
    cache.delete(key);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
    cache.set(key, { status, expiresAt: now() + ttl });
  }

  async function check(key: string, crawler: VerifiableCrawler, ip: string): Promise<void> {
    lookups++;
    try {
      const names = await resolver.reverse(ip);
      const candidates = names.filter((n) => under(n, crawler.domains));
      for (const name of candidates) {
        const addresses = await resolver.lookup(name);
        if (addresses.some((a) => canonicalIp(a) === ip)) {
          remember(key, 'verified', ttlVerified);
          return;
        }
      }
      remember(key, 'failed', ttlFailed);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && NO_NAME.has(code)) remember(key, 'failed', ttlFailed);
      else remember(key, 'unknown', ttlError);
    } finally {
      inFlight--;
    }
  }

  return {
    status(crawler, ip) {
      const key = `${crawler.name} ${ip}`;
      const hit = cache.get(key);
      if (hit !== undefined && hit.expiresAt > now()) return hit.status;
      if (hit !== undefined && hit.status === 'pending') return 'pending'; // a check is still running
      if (inFlight >= maxInFlight) return 'pending';
      inFlight++;
      remember(key, 'pending', ttlError);
      void check(key, crawler, ip);
      return 'pending';
    },
    stats: () => ({ cached: cache.size, inFlight, lookups }),
  };
}

/** Never looks anything up: every claim stays `unknown`. For replay, which contacts nothing. */
export const offlineBotVerifier: BotVerifier = {
  status: () => 'unknown',
  stats: () => ({ cached: 0, inFlight: 0, lookups: 0 }),
};
