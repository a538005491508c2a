/**
 * What a `User-Agent` says the client is: a browser (which one, which major version), an HTTP client
 * library, a headless browser, a vulnerability scanner, a self-declared bot (with a category), or
 * nothing recognisable. The answer is what the client claims; other signals check the claim against
 * the rest of the request.
 *
 * Bots are recognised by the `isbot` package (its pattern list is maintained upstream); categories,
 * client libraries, headless browsers and scanners by the tables below. Results are cached per UA
 * string in a bounded map, because traffic repeats a few hundred UA strings and isbot's pattern
 * costs ~2.4 µs per call.
 */
import { isbot, isbotMatch } from 'isbot';

export type UserAgentKind = 'none' | 'browser' | 'http-client' | 'headless' | 'scanner' | 'bot' | 'unknown';
export type BrowserFamily = 'chrome' | 'edge' | 'firefox' | 'safari';
export type BotCategory = 'search' | 'ai' | 'seo' | 'social' | 'monitor' | 'feed' | 'archiver' | 'crawler';

export interface UserAgentClass {
  readonly kind: UserAgentKind;
  /** The product that matched (`curl`, `python-requests`, `googlebot`, `chrome`…), lower case; '' for none/unknown. */
  readonly product: string;
  /** For bots: what kind of bot. Null otherwise. */
  readonly category: BotCategory | null;
  /** For browsers (and headless browsers): the engine family claimed. */
  readonly browser: BrowserFamily | null;
  /** The browser's major version, 0 when not a browser. */
  readonly version: number;
  /** Claims a phone or tablet (`Mobile`, `Android`, `iPhone`, `iPad`). */
  readonly mobile: boolean;
}

// Tools whose only purpose is probing for weaknesses. Checked first: many also contain "bot" or "http".
const SCANNERS = /\b(nikto|sqlmap|nmap|masscan|zgrab|nuclei|wpscan|dirbuster|gobuster|ffuf|feroxbuster|acunetix|nessus|openvas|w3af|arachni|burpcollaborator|netsparker|jaeles|wfuzz|hydra|commix|zmeu|morfeus|whatweb|l9explore|l9tcpid|xfa1|nimbostratus|fuzz faster|httpx - open-source|interactsh|dirb|skipfish|wapiti|joomscan|droopescan|cms(?:map|scan))\b/i;

// Browsers driven by automation say so in their UA unless the operator hides it.
const HEADLESS = /\b(headlesschrome|phantomjs|puppeteer|playwright|selenium|slimerjs|splash|headless)\b/i;

// [pattern, product]: HTTP client libraries and command-line tools. Legitimate integrations use them,
// so they are findings, not blocks. Order matters where one UA names several (okhttp inside an app UA).
const HTTP_CLIENTS: readonly (readonly [RegExp, string])[] = [
  [/^curl\//i, 'curl'],
  [/^wget\//i, 'wget'],
  [/python-requests\//i, 'python-requests'],
  [/python-urllib/i, 'python-urllib'],
  [/python-httpx\//i, 'python-httpx'],
  [/aiohttp\//i, 'aiohttp'],
  [/^python\//i, 'python'],
  [/scrapy\//i, 'scrapy'],
  [/go-http-client\//i, 'go-http-client'],
  [/^axios\//i, 'axios'],
  [/node-fetch/i, 'node-fetch'],
  [/^undici\b/i, 'undici'],
  [/^node\b/i, 'node'],
  [/\bgot\b \(https:\/\/github\.com\/sindresorhus\/got\)/i, 'got'],
  [/^java\//i, 'java'],
  [/apache-httpclient\//i, 'apache-httpclient'],
  [/\bokhttp\//i, 'okhttp'],
  [/libwww-perl|^lwp::/i, 'libwww-perl'],
  [/guzzlehttp|^guzzle\//i, 'guzzle'],
  [/^php\//i, 'php'],
  [/^ruby\b|faraday v?\d/i, 'ruby'],
  [/restsharp\//i, 'restsharp'],
  [/^dart\//i, 'dart'],
  [/postmanruntime\//i, 'postman'],
  [/^insomnia\//i, 'insomnia'],
  [/^httpie\//i, 'httpie'],
  [/winhttp/i, 'winhttp'],
  [/^rest-client\//i, 'rest-client'],
  [/^reqwest\b|^hyper\//i, 'rust-http'],
];

// One pass over the string for the common answer (not a client library); the table only names the match.
const ANY_HTTP_CLIENT = new RegExp(HTTP_CLIENTS.map(([p]) => p.source).join('|'), 'i');

// [pattern, category] for what isbot recognises. First match wins; anything else is a `crawler`.
const BOT_CATEGORIES: readonly (readonly [RegExp, BotCategory])[] = [
  [/gptbot|chatgpt-user|oai-searchbot|claudebot|claude-web|anthropic|ccbot|perplexity|bytespider|google-extended|meta-externalagent|amazonbot|cohere|diffbot|youbot|ai2bot|timpibot|omgili|imagesiftbot/i, 'ai'],
  [/googlebot|google-inspectiontool|adsbot-google|mediapartners-google|bingbot|bingpreview|msnbot|applebot|duckduckbot|duckduckgo|yandex|baiduspider|sogou|360spider|petalbot|seznambot|naver|yeti\/|qwantify|mojeek|exabot|coccoc|yahoo! slurp/i, 'search'],
  [/ahrefs|semrush|mj12bot|dotbot|rogerbot|screaming frog|serpstat|seokicks|blexbot|dataforseo|barkrowler|siteaudit|megaindex|linkdex|marketgoo|seobility|sistrix/i, 'seo'],
  [/facebookexternalhit|facebookcatalog|facebot|twitterbot|slackbot|slack-imgproxy|discordbot|linkedinbot|whatsapp|telegrambot|pinterest|redditbot|skypeuripreview|embedly|vkshare|iframely|mastodon|bluesky|snapchat|viber|line-poker/i, 'social'],
  [/uptimerobot|pingdom|statuscake|site24x7|newrelic|datadog|checkly|uptime|nagios|zabbix|monitor|lighthouse|gtmetrix|speedcurve|catchpoint|applicationhealthservice|synthetic|rigor|dejaclick|pagespeed/i, 'monitor'],
  [/feedly|feedfetcher|inoreader|newsblur|netnewswire|tiny tiny rss|\brss\b|feed/i, 'feed'],
  [/ia_archiver|archive\.org_bot|heritrix|wayback|archive-it/i, 'archiver'],
];

const BOT_TOKEN = /[\w.-]*(?:bot|spider|crawler)[\w.-]*/i;
const EDGE = /\bEdg(?:e|A|iOS)?\/(\d+)/;
const CHROME = /\b(?:Chrome|CriOS|Chromium|HeadlessChrome)\/(\d+)/;
const FIREFOX = /\b(?:Firefox|FxiOS)\/(\d+)/;
const SAFARI = /\bVersion\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari\//;
const MOBILE = /Mobile|Android|iPhone|iPad|iPod/;

function make(kind: UserAgentKind, product: string, category: BotCategory | null, browser: BrowserFamily | null, version: number, mobile: boolean): UserAgentClass {
  return Object.freeze({ kind, product, category, browser, version, mobile });
}

const NONE = make('none', '', null, null, 0, false);

function browserOf(ua: string): { browser: BrowserFamily; version: number } | null {
  let m = EDGE.exec(ua);
  if (m !== null) return { browser: 'edge', version: Number(m[1]) };
  m = FIREFOX.exec(ua);
  if (m !== null) return { browser: 'firefox', version: Number(m[1]) };
  m = CHROME.exec(ua);
  if (m !== null) return { browser: 'chrome', version: Number(m[1]) };
  m = SAFARI.exec(ua);
  if (m !== null) return { browser: 'safari', version: Number(m[1]) };
  return null;
}

/** Classifies one UA string, uncached. Prefer {@link classifyUserAgent}. */
export function classifyUserAgentUncached(ua: string | undefined): UserAgentClass {
  if (ua === undefined) return NONE;
  const text = ua.trim();
  if (text === '') return NONE;
  const mobile = MOBILE.test(text);
  const scanner = SCANNERS.exec(text);
  if (scanner !== null) return make('scanner', scanner[1]!.toLowerCase(), null, null, 0, mobile);
  const headless = HEADLESS.exec(text);
  if (headless !== null) {
    const b = browserOf(text);
    return make('headless', headless[1]!.toLowerCase(), null, b?.browser ?? null, b?.version ?? 0, mobile);
  }
  if (ANY_HTTP_CLIENT.test(text)) {
    for (const [pattern, product] of HTTP_CLIENTS) if (pattern.test(text)) return make('http-client', product, null, null, 0, mobile);
  }
  // isbot() is twice as fast as isbotMatch(): ask for the match only for bots.
  if (isbot(text)) {
    const bot = isbotMatch(text) ?? 'bot';
    let category: BotCategory = 'crawler';
    for (const [pattern, c] of BOT_CATEGORIES) {
      if (pattern.test(text)) {
        category = c;
        break;
      }
    }
    // isbot reports the fragment its pattern matched (`google`); the bot's own token (`Googlebot`) names it better.
    const token = BOT_TOKEN.exec(text);
    return make('bot', (token === null ? bot : token[0]).toLowerCase().trim(), category, null, 0, mobile);
  }
  const b = browserOf(text);
  if (b !== null && text.startsWith('Mozilla/5.0')) return make('browser', b.browser, null, b.browser, b.version, mobile);
  return make('unknown', '', null, null, 0, mobile);
}

/** Most distinct UA strings remembered; a client rotating random UAs only costs itself cache misses. */
export const UA_CACHE_SIZE = 4096;
const cache = new Map<string, UserAgentClass>();

/** How many UA strings the cache holds now (at most {@link UA_CACHE_SIZE}). */
export function cachedUserAgents(): number {
  return cache.size;
}

/**
 * Classifies a UA string, cached (bounded; the oldest entry goes first).
 *
 * @example
 * classifyUserAgent('curl/8.10.1')            // { kind: 'http-client', product: 'curl', … }
 * classifyUserAgent('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)').category // 'search'
 */
export function classifyUserAgent(ua: string | undefined): UserAgentClass {
  if (ua === undefined || ua.length === 0) return NONE;
  const hit = cache.get(ua);
  if (hit !== undefined) return hit;
  const result = classifyUserAgentUncached(ua);
  if (cache.size >= UA_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(ua, result);
  return result;
}
