import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { VirtualClock } from '../../engine/clock.ts';
import { createEngine } from '../../engine/engine.ts';
import type { Decision } from '../../engine/decision.ts';
import { silentLogger } from '../../logger.ts';
import { parsePolicy } from '../../policy/load-policy.ts';
import { builtinSignalsWith } from '../registry.ts';
import { claimedCrawler, createBotVerifier } from './bot-verifier.ts';
import type { DnsResolver } from './bot-verifier.ts';

const GOOGLEBOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const GOOGLEBOT = claimedCrawler(GOOGLEBOT_UA)!;

function dnsError(code: string): Error {
  return Object.assign(new Error(code), { code });
}

/** Google's real layout, plus an attacker who set a googlebot.com PTR on their own address. */
const resolver: DnsResolver = {
  async reverse(ip) {
    if (ip === '66.249.66.1') return ['crawl-66-249-66-1.googlebot.com'];
    if (ip === '203.0.113.66') return ['crawl-66-249-66-1.googlebot.com']; // forged PTR
    if (ip === '198.51.100.7') return ['host-7.example.net'];
    if (ip === '192.0.2.99') throw dnsError('ETIMEOUT');
    throw dnsError('ENOTFOUND');
  },
  async lookup(host) {
    if (host === 'crawl-66-249-66-1.googlebot.com') return ['66.249.66.1'];
    throw dnsError('ENOTFOUND');
  },
};

describe('crawler verification by DNS', () => {
  it('answers pending first, then verified once reverse and forward DNS agree', async () => {
    const v = createBotVerifier({ resolver });
    assert.equal(v.status(GOOGLEBOT, '66.249.66.1'), 'pending');
    await tick();
    assert.equal(v.status(GOOGLEBOT, '66.249.66.1'), 'verified');
    assert.equal(v.stats().lookups, 1);
  });

  it('fails a forged PTR, a name outside the domains and an address without PTR; an outage is unknown', async () => {
    const v = createBotVerifier({ resolver });
    const ips = ['203.0.113.66', '198.51.100.7', '203.0.113.1', '192.0.2.99'];
    for (const ip of ips) v.status(GOOGLEBOT, ip);
    await tick();
    assert.deepEqual(ips.map((ip) => v.status(GOOGLEBOT, ip)), ['failed', 'failed', 'failed', 'unknown']);
  });

  it('bounds lookups in flight and cached answers', async () => {
    let started = 0;
    const hanging: DnsResolver = { reverse: () => (started++, new Promise(() => {})), lookup: () => new Promise(() => {}) };
    const v = createBotVerifier({ resolver: hanging, maxInFlight: 2, maxEntries: 3 });
    for (let i = 0; i < 10; i++) assert.equal(v.status(GOOGLEBOT, `203.0.113.${i}`), 'pending');
    assert.equal(started, 2);
    const w = createBotVerifier({ resolver, maxEntries: 3 });
    for (let i = 0; i < 10; i++) {
      w.status(GOOGLEBOT, `203.0.113.${i}`);
      await tick();
    }
    assert.equal(w.stats().cached, 3);
  });

  it('checks again once an answer expires', async () => {
    let t = 0;
    const v = createBotVerifier({ resolver, now: () => t, ttl: { failed: 1000 } });
    v.status(GOOGLEBOT, '198.51.100.7');
    await tick();
    assert.equal(v.status(GOOGLEBOT, '198.51.100.7'), 'failed');
    t = 1000;
    assert.equal(v.status(GOOGLEBOT, '198.51.100.7'), 'pending');
    assert.equal(v.stats().lookups, 2);
  });

  it('through the engine: a fake Googlebot scores bot.fake, a real one is verified and not scored as a bot', async () => {
    const signals = builtinSignalsWith({ botVerifier: createBotVerifier({ resolver }) });
    const policy = parsePolicy('rules: [{ name: fakes, when: [{ signal: bot.fake }], action: deny }, { name: real, when: [{ signal: bot.verified }], action: allow }]', { env: {} });
    const engine = createEngine({ policy, signals, clock: new VirtualClock(0), logger: silentLogger });
    const ask = (ip: string) => engine.evaluate({ method: 'GET', url: '/', headers: { 'user-agent': GOOGLEBOT_UA, accept: '*/*' }, ip }) as Decision;
    assert.equal(ask('203.0.113.66').action, 'allow'); // pending: no evidence yet
    ask('66.249.66.1');
    await tick();
    const fake = ask('203.0.113.66');
    assert.deepEqual([fake.action, fake.reasons], ['deny', ['rule:fakes', 'signal:bot.fake']]);
    assert.equal(fake.context.risk(), 88); // bot.fake 80 with ua.bot 40: 100 × (1 − 0.2 × 0.6)
    const real = ask('66.249.66.1');
    assert.equal(real.action, 'allow');
    assert.equal(real.context.risk(), 0);
  });
});
