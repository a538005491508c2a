// Attacks on the login: credential stuffing (naive, distributed, low and slow), cracking one
// account, password spraying. Combo lists hold mostly unknown or stale credentials: a small share
// are valid, and each valid one let through is a taken-over account.
import { makeClient } from '../clients.ts';
import type { Client } from '../clients.ts';
import type { Rng } from '../prng.ts';
import { secretHash } from '../prng.ts';
import { POPULATION } from '../population.ts';
import { request } from '../request.ts';
import type { Scenario, SimContext, SimRequest } from '../types.ts';

const LOGIN = '/api/auth/login';

/** One login attempt; `valid` decides the shop's answer and marks it a success if let through. */
function attempt(scenario: string, actor: string, ts: number, ip: string, client: Client, username: string, valid: boolean): SimRequest {
  return request({
    ts, ip, client, method: 'POST', url: LOGIN, status: valid ? 200 : 401,
    body: { username, password: secretHash(`${scenario}:${username}:${valid ? 'right' : ts}`) },
    label: valid ? { malicious: true, scenario, actor, success: 'login' } : { malicious: true, scenario, actor },
  });
}

/** A combo-list username: e-mail addresses, as leaked. */
const comboUser = (rng: Rng, scenario: string, i: number) => `${scenario.slice(0, 3)}${i}.${rng.int(1000, 9999)}@${rng.pick(['gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'mail.example'])}`;

export const stuffingNaive: Scenario = {
  id: 'stuffing-naive',
  description: 'Credential stuffing from one datacenter address with python-requests: 2,000 combo-list pairs at ~8/s, 1.5% valid.',
  naive: true,
  success: 'login',
  generate(cx: SimContext) {
    const rng = cx.rng;
    const ip = cx.pools.hosting.address(rng);
    const client = makeClient('python-requests', rng);
    let t = cx.start + cx.durationMs * 0.1;
    const out: SimRequest[] = [];
    for (let i = 0; i < Math.round(2000 * cx.scale); i++) {
      out.push(attempt(this.id, 'bot', t, ip, client, comboUser(rng, this.id, i), rng.chance(0.015)));
      t += rng.exp(125);
    }
    return out;
  },
};

export const stuffingDistributed: Scenario = {
  id: 'stuffing-distributed',
  description: 'Credential stuffing through 1,200 residential proxies with a rotating browser user agent on a script\'s headers: 8,000 pairs over 90 minutes, each address a handful of times, 1.5% valid.',
  naive: false,
  success: 'login',
  generate(cx: SimContext) {
    const rng = cx.rng;
    const ips = Array.from({ length: 1200 }, () => cx.pools.residential.address(rng));
    const client = makeClient('rotating', rng);
    const n = Math.round(8000 * cx.scale);
    const span = 90 * 60_000;
    let t = cx.start + cx.durationMs * 0.15;
    const out: SimRequest[] = [];
    for (let i = 0; i < n; i++) {
      const ip = rng.pick(ips);
      out.push(attempt(this.id, ip, t, ip, client, comboUser(rng, this.id, i), rng.chance(0.015)));
      t += rng.exp(span / n);
    }
    return out;
  },
};

export const stuffingLowAndSlow: Scenario = {
  id: 'stuffing-low-and-slow',
  description: 'Low-and-slow credential stuffing: 40 residential addresses with headless Chrome, each one attempt every 3–5 minutes for the whole window, 1.5% valid.',
  naive: false,
  success: 'login',
  generate(cx: SimContext) {
    const rng = cx.rng;
    const out: SimRequest[] = [];
    let i = 0;
    for (let w = 0; w < 40; w++) {
      const ip = cx.pools.residential.address(rng);
      const client = makeClient('headless-chrome', rng);
      for (let t = cx.start + rng.int(0, 300_000); t < cx.start + cx.durationMs; t += rng.int(180_000, 300_000) / cx.scale) {
        out.push(attempt(this.id, `w${w}`, t, ip, client, comboUser(rng, this.id, i++), rng.chance(0.015)));
      }
    }
    return out;
  },
};

export const cracking: Scenario = {
  id: 'cracking',
  description: 'Credential cracking of one account (`alice`) from one datacenter address with Go\'s client: a password list at 2/s until the 1,800th guess is right.',
  naive: true,
  success: 'login',
  generate(cx: SimContext) {
    const rng = cx.rng;
    const ip = cx.pools.hosting.address(rng);
    const client = makeClient('go', rng);
    let t = cx.start + cx.durationMs * 0.4;
    const out: SimRequest[] = [];
    const right = Math.round(1800 * cx.scale);
    for (let i = 1; i <= right; i++) {
      out.push(attempt(this.id, 'bot', t, ip, client, 'alice', i === right));
      t += rng.int(350, 650);
    }
    return out;
  },
};

export const spraying: Scenario = {
  id: 'spraying',
  description: 'Password spraying: three common passwords against 1,500 known usernames from 60 VPN exits with curl, spread over 90 minutes; 0.5% of the tries hit.',
  naive: false,
  success: 'login',
  generate(cx: SimContext) {
    const rng = cx.rng;
    const ips = Array.from({ length: 60 }, () => cx.pools.vpn.address(rng));
    const client = makeClient('curl', rng);
    const users = Math.round(1500 * cx.scale);
    const total = users * 3;
    let t = cx.start + cx.durationMs * 0.2;
    const out: SimRequest[] = [];
    for (let round = 0; round < 3; round++) {
      for (let u = 0; u < users; u++) {
        const ip = ips[(u + round * 7) % ips.length]!;
        out.push(attempt(this.id, ip, t, ip, client, `user${1 + ((u * 4 + 3) % Math.round(POPULATION * cx.scale))}@mail.example`, rng.chance(0.005)));
        t += rng.exp((90 * 60_000) / total);
      }
    }
    return out;
  },
};
