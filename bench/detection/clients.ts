// Header sets per client type, lower-case and in the order each client sends them (objects keep
// insertion order, so the log records it): browsers, the shop's mobile app, a partner integration,
// and attack tools. A client is made once per user or worker and keeps its identity.
import type { Rng } from './prng.ts';

export type ClientKind =
  | 'chrome' | 'safari-ios' | 'firefox' | 'app-ios' | 'app-android' | 'partner'
  | 'python-requests' | 'curl' | 'go' | 'headless-chrome' | 'rotating' | 'scanner';

export interface RequestShape {
  readonly method: string;
  /** A JSON body is sent. */
  readonly json: boolean;
  /** The bearer token (already a keyed hash, as the gateway logs it). */
  readonly token?: string | undefined;
  readonly apiKey?: string | undefined;
}

export interface Client {
  readonly kind: ClientKind;
  headers(req: RequestShape): Record<string, string>;
}

const HOST = 'shop.example';
const ORIGIN = `https://${HOST}`;
const LANGS = ['en-US,en;q=0.9', 'en-GB,en;q=0.9', 'de-DE,de;q=0.9,en;q=0.8', 'fr-FR,fr;q=0.9,en;q=0.8', 'es-ES,es;q=0.9', 'nl-NL,nl;q=0.9,en;q=0.8'];
const CHROME_MAJOR = [129, 130, 131];
const WIN = 'Windows NT 10.0; Win64; x64';
const MAC = 'Macintosh; Intel Mac OS X 10_15_7';

const chromeUa = (os: string, major: number, headless = false) =>
  `Mozilla/5.0 (${os}) AppleWebKit/537.36 (KHTML, like Gecko) ${headless ? 'HeadlessChrome' : 'Chrome'}/${major}.0.0.0 Safari/537.36`;
const secChUa = (major: number, brand = 'Google Chrome') => `"${brand}";v="${major}", "Chromium";v="${major}", "Not_A Brand";v="24"`;

function chromeLike(rng: Rng, headless: boolean): Client {
  const major = rng.pick(CHROME_MAJOR);
  const mac = rng.chance(0.35);
  const ua = chromeUa(mac ? MAC : WIN, major, headless);
  const lang = headless ? 'en-US' : rng.pick(LANGS);
  const brand = secChUa(major, headless ? 'HeadlessChrome' : 'Google Chrome');
  const platform = mac ? '"macOS"' : '"Windows"';
  return {
    kind: headless ? 'headless-chrome' : 'chrome',
    headers: (r) => {
      const h: Record<string, string> = { host: HOST, connection: 'keep-alive' };
      if (r.json) h['content-length'] = '64';
      h['sec-ch-ua-platform'] = platform;
      if (r.token !== undefined) h['authorization'] = `Bearer ${r.token}`;
      h['user-agent'] = ua;
      h['sec-ch-ua'] = brand;
      if (r.json) h['content-type'] = 'application/json';
      h['sec-ch-ua-mobile'] = '?0';
      h['accept'] = 'application/json, text/plain, */*';
      if (r.method !== 'GET') h['origin'] = ORIGIN;
      h['sec-fetch-site'] = 'same-origin';
      h['sec-fetch-mode'] = 'cors';
      h['sec-fetch-dest'] = 'empty';
      h['referer'] = `${ORIGIN}/`;
      h['accept-encoding'] = 'gzip, deflate, br, zstd';
      h['accept-language'] = lang;
      return h;
    },
  };
}

function safariIos(rng: Rng): Client {
  const v = rng.pick(['17_6', '18_0', '18_1']);
  const ua = `Mozilla/5.0 (iPhone; CPU iPhone OS ${v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${v.replace('_', '.')} Mobile/15E148 Safari/604.1`;
  const lang = rng.pick(LANGS).split(',')[0]!;
  return {
    kind: 'safari-ios',
    headers: (r) => {
      const h: Record<string, string> = { host: HOST };
      if (r.json) h['content-type'] = 'application/json';
      h['accept'] = 'application/json, text/plain, */*';
      if (r.token !== undefined) h['authorization'] = `Bearer ${r.token}`;
      h['sec-fetch-site'] = 'same-origin';
      if (r.method !== 'GET') h['origin'] = ORIGIN;
      h['sec-fetch-mode'] = 'cors';
      h['user-agent'] = ua;
      h['referer'] = `${ORIGIN}/`;
      h['sec-fetch-dest'] = 'empty';
      if (r.json) h['content-length'] = '64';
      h['accept-language'] = lang;
      h['priority'] = 'u=3, i';
      h['accept-encoding'] = 'gzip, deflate, br';
      h['connection'] = 'keep-alive';
      return h;
    },
  };
}

function firefox(rng: Rng): Client {
  const v = rng.pick([131, 132, 133]);
  const ua = `Mozilla/5.0 (${rng.chance(0.3) ? 'X11; Linux x86_64' : 'Windows NT 10.0; Win64; x64'}; rv:${v}.0) Gecko/20100101 Firefox/${v}.0`;
  const lang = rng.pick(LANGS).replace(';q=0.9', ';q=0.7');
  return {
    kind: 'firefox',
    headers: (r) => {
      const h: Record<string, string> = { host: HOST, 'user-agent': ua, accept: 'application/json, text/plain, */*', 'accept-language': lang, 'accept-encoding': 'gzip, deflate, br, zstd' };
      if (r.json) h['content-type'] = 'application/json';
      if (r.token !== undefined) h['authorization'] = `Bearer ${r.token}`;
      if (r.json) h['content-length'] = '64';
      if (r.method !== 'GET') h['origin'] = ORIGIN;
      h['connection'] = 'keep-alive';
      h['referer'] = `${ORIGIN}/`;
      h['sec-fetch-dest'] = 'empty';
      h['sec-fetch-mode'] = 'cors';
      h['sec-fetch-site'] = 'same-origin';
      h['priority'] = 'u=0';
      return h;
    },
  };
}

function app(rng: Rng, android: boolean): Client {
  const version = rng.pick(['4.11.2', '4.12.0', '4.12.1']);
  const ua = android
    ? `ShopApp/${version} (Linux; Android ${rng.pick([13, 14, 15])}; ${rng.pick(['Pixel 8', 'SM-S918B', 'SM-A546B', 'moto g84'])}) okhttp/4.12.0`
    : `ShopApp/${version} (iPhone; iOS ${rng.pick(['17.6', '18.0', '18.1'])}; Scale/3.00)`;
  const lang = rng.pick(LANGS).split(',')[0]!;
  return {
    kind: android ? 'app-android' : 'app-ios',
    headers: (r) => {
      const h: Record<string, string> = { host: HOST, 'x-app-version': version, accept: 'application/json' };
      if (r.token !== undefined) h['authorization'] = `Bearer ${r.token}`;
      if (r.json) h['content-type'] = 'application/json; charset=utf-8';
      h['accept-language'] = lang;
      h['user-agent'] = ua;
      if (r.json) h['content-length'] = '64';
      h['accept-encoding'] = 'gzip';
      return h;
    },
  };
}

function partner(): Client {
  return {
    kind: 'partner',
    headers: (r) => {
      const h: Record<string, string> = { host: HOST, 'user-agent': 'AcmeFeedSync/2.3 (+https://partner.example/feed-sync)' };
      if (r.apiKey !== undefined) h['x-api-key'] = r.apiKey;
      h['accept'] = 'application/json';
      h['accept-encoding'] = 'gzip';
      return h;
    },
  };
}

/** python-requests, curl and Go's client: their libraries' defaults. */
function tool(kind: 'python-requests' | 'curl' | 'go'): Client {
  return {
    kind,
    headers: (r) => {
      const h: Record<string, string> = { host: HOST };
      if (kind === 'python-requests') Object.assign(h, { 'user-agent': 'python-requests/2.32.3', 'accept-encoding': 'gzip, deflate', accept: '*/*', connection: 'keep-alive' });
      else if (kind === 'curl') Object.assign(h, { 'user-agent': 'curl/8.5.0', accept: '*/*' });
      else h['user-agent'] = 'Go-http-client/1.1';
      if (r.token !== undefined) h['authorization'] = `Bearer ${r.token}`;
      if (r.json) {
        h['content-length'] = '64';
        h['content-type'] = 'application/json';
      }
      if (kind === 'go') h['accept-encoding'] = 'gzip';
      return h;
    },
  };
}

/** A browser user agent on a script's headers: the user agent rotates per request, the rest stays the library's. */
function rotating(rng: Rng): Client {
  return {
    kind: 'rotating',
    headers: (r) => {
      const roll = rng.next();
      const ua =
        roll < 0.5 ? chromeUa(rng.chance(0.5) ? MAC : WIN, rng.int(100, 131))
        : roll < 0.8 ? `Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:${rng.int(100, 133)}.0) Gecko/20100101 Firefox/${rng.int(100, 133)}.0`
        : `Mozilla/5.0 (iPhone; CPU iPhone OS 17_${rng.int(0, 6)} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.${rng.int(0, 6)} Mobile/15E148 Safari/604.1`;
      const h: Record<string, string> = { host: HOST, 'user-agent': ua, 'accept-encoding': 'gzip, deflate', accept: '*/*', connection: 'keep-alive' };
      if (rng.chance(0.5)) h['accept-language'] = 'en-US,en;q=0.9';
      if (r.token !== undefined) h['authorization'] = `Bearer ${r.token}`;
      if (r.json) {
        h['content-length'] = '64';
        h['content-type'] = 'application/json';
      }
      return h;
    },
  };
}

function scanner(rng: Rng): Client {
  const ua = rng.pick([
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0.3729.169 Safari/537.36',
    'Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000001)',
    'Mozilla/5.0 (compatible; Nuclei - Open-source project (github.com/projectdiscovery/nuclei))',
  ]);
  return { kind: 'scanner', headers: () => ({ host: HOST, 'user-agent': ua, accept: '*/*', 'accept-encoding': 'gzip', connection: 'close' }) };
}

/**
 * @example
 * makeClient('chrome', rng).headers({ method: 'GET', json: false })['sec-ch-ua-mobile'] // '?0'
 */
export function makeClient(kind: ClientKind, rng: Rng): Client {
  switch (kind) {
    case 'chrome': return chromeLike(rng, false);
    case 'headless-chrome': return chromeLike(rng, true);
    case 'safari-ios': return safariIos(rng);
    case 'firefox': return firefox(rng);
    case 'app-ios': return app(rng, false);
    case 'app-android': return app(rng, true);
    case 'partner': return partner();
    case 'python-requests': case 'curl': case 'go': return tool(kind);
    case 'rotating': return rotating(rng);
    case 'scanner': return scanner(rng);
  }
}
