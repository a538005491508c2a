import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cachedUserAgents, classifyUserAgent, classifyUserAgentUncached, UA_CACHE_SIZE } from './classify-user-agent.ts';

const CHROME_131 = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const EDGE_131 = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86';
const FIREFOX_133 = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI_IOS = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

describe('classifyUserAgent', () => {
  it('names the browser family and major version a browser claims', () => {
    assert.deepEqual(
      [CHROME_131, EDGE_131, FIREFOX_133, SAFARI_IOS].map((ua) => {
        const c = classifyUserAgent(ua);
        return [c.kind, c.browser, c.version, c.mobile];
      }),
      [
        ['browser', 'chrome', 131, false],
        ['browser', 'edge', 131, false],
        ['browser', 'firefox', 133, false],
        ['browser', 'safari', 18, true],
      ],
    );
  });

  it('recognises HTTP client libraries and command-line tools by product', () => {
    const cases: [string, string][] = [
      ['curl/8.10.1', 'curl'],
      ['python-requests/2.32.3', 'python-requests'],
      ['Go-http-client/1.1', 'go-http-client'],
      ['axios/1.7.9', 'axios'],
      ['node-fetch/1.0 (+https://github.com/bitinn/node-fetch)', 'node-fetch'],
      ['Java/17.0.2', 'java'],
      ['okhttp/4.12.0', 'okhttp'],
      ['PostmanRuntime/7.42.0', 'postman'],
    ];
    for (const [ua, product] of cases) assert.deepEqual([classifyUserAgent(ua).kind, classifyUserAgent(ua).product], ['http-client', product], ua);
  });

  it('sorts self-declared bots into categories', () => {
    const cases: [string, string][] = [
      ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'search'],
      ['Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)', 'ai'],
      ['Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)', 'seo'],
      ['facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', 'social'],
      ['Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)', 'monitor'],
      ['Mozilla/5.0 (compatible; SomeNewCrawler/1.0; +https://example.com/bot)', 'crawler'],
    ];
    for (const [ua, category] of cases) assert.deepEqual([classifyUserAgent(ua).kind, classifyUserAgent(ua).category], ['bot', category], ua);
  });

  it('puts scanners and headless browsers before everything else they resemble', () => {
    assert.equal(classifyUserAgent('sqlmap/1.8.11#stable (https://sqlmap.org)').kind, 'scanner');
    assert.equal(classifyUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) Nuclei - Open-source project (github.com/projectdiscovery/nuclei)').kind, 'scanner');
    const headless = classifyUserAgent('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36');
    assert.deepEqual([headless.kind, headless.product, headless.browser, headless.version], ['headless', 'headlesschrome', 'chrome', 131]);
  });

  it('says none for a missing or blank user agent and unknown for anything else', () => {
    assert.equal(classifyUserAgent(undefined).kind, 'none');
    assert.equal(classifyUserAgent('   ').kind, 'none');
    assert.equal(classifyUserAgent('AmigaVoyager/3.2 (AmigaOS/MC680x0)').kind, 'unknown');
    // Native iOS apps speak through CFNetwork: they are apps, not scripts.
    assert.equal(classifyUserAgent('ExampleApp/1 iPhone5,2 iOS/10_1 CFNetwork/808.3 Darwin/16.3.0').kind, 'unknown');
  });

  it('answers from the cache the same as uncached, however many distinct strings pass through', () => {
    for (let i = 0; i < 10_000; i++) classifyUserAgent(`rotating-agent-${i}`);
    assert.equal(cachedUserAgents(), UA_CACHE_SIZE);
    for (const ua of [CHROME_131, 'curl/8.10.1', 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)']) {
      assert.deepEqual(classifyUserAgent(ua), classifyUserAgentUncached(ua));
    }
  });
});
