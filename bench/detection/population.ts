// The legitimate population: people on browsers and the shop's app, at home, behind mobile
// carrier-grade NAT, in offices, on VPNs and cloud egress (those share addresses), a partner
// integration polling the catalogue, and fans trying for the limited drop. Human think times are
// log-normal (median ~6 s, long tail); a page load sends two or three API calls together.
import { makeClient } from './clients.ts';
import type { Client, ClientKind } from './clients.ts';
import type { Rng } from './prng.ts';
import { secretHash } from './prng.ts';
import { LIMITED_PRODUCT, PAGES, PRODUCTS, request } from './request.ts';
import type { Label, SimContext, SimRequest } from './types.ts';

/** Where a user's address comes from; shared cohorts put many users on one address. */
export type Cohort = 'home' | 'cgnat' | 'office' | 'vpn' | 'cloud-egress' | 'partner';

/** Users per shared address (carrier-grade NAT pools, an office's egress, a VPN exit, a cloud proxy). */
const SHARED: Readonly<Record<Exclude<Cohort, 'home' | 'partner'>, number>> = { cgnat: 40, office: 30, vpn: 20, 'cloud-egress': 15 };
const REFERRALS = ['WELCOME10', 'FRIEND-2026', 'SPRING-SALE'];

interface User {
  readonly n: number;
  readonly cohort: Cohort;
  readonly ip: string;
  readonly client: Client;
  readonly username: string;
  readonly label: Label;
}

/** People in the population at scale 1; their user ids are 1..N, their usernames `user<n>@mail.example`. */
export const POPULATION = 6000;

/** The drop of the limited product, as an offset into the window (shared with the scalping scenario). */
export const DROP_AT = 0.5;

function think(rng: Rng): number {
  return Math.min(120_000, Math.max(400, rng.logNormal(6000, 0.9)));
}

function clientFor(rng: Rng, cohort: Cohort): Client {
  const r = rng.next();
  const kind: ClientKind =
    cohort === 'cgnat' ? (r < 0.55 ? (rng.chance(0.5) ? 'app-ios' : 'app-android') : 'safari-ios')
    : r < 0.5 ? 'chrome' : r < 0.65 ? 'safari-ios' : r < 0.75 ? 'firefox' : r < 0.88 ? 'app-ios' : 'app-android';
  return makeClient(kind, rng);
}

/** Makes `count` users; shared cohorts are filled address by address. */
function makeUsers(cx: SimContext, rng: Rng, count: number): User[] {
  const users: User[] = [];
  const shared = new Map<Cohort, { ip: string; left: number }>();
  for (let n = 1; n <= count; n++) {
    const r = rng.next();
    const cohort: Cohort = r < 0.6 ? 'home' : r < 0.8 ? 'cgnat' : r < 0.9 ? 'office' : r < 0.96 ? 'vpn' : 'cloud-egress';
    let ip: string;
    if (cohort === 'home') ip = cx.pools.residential.address(rng);
    else {
      let slot = shared.get(cohort);
      if (slot === undefined || slot.left === 0) {
        const pool = cohort === 'cgnat' ? cx.pools.mobile : cohort === 'office' ? cx.pools.residential : cohort === 'vpn' ? cx.pools.vpn : cx.pools.hosting;
        slot = { ip: pool.address(rng), left: SHARED[cohort] };
        shared.set(cohort, slot);
      }
      slot.left--;
      ip = slot.ip;
    }
    const label: Label = { malicious: false, scenario: 'legit', actor: `u${n}:${cohort}` };
    users.push({ n, cohort, ip, client: clientFor(rng, cohort), username: `user${n}@mail.example`, label });
  }
  return users;
}

/** One visit: maybe sign in (with the odd typo and a 2FA text), browse, look at the account, buy. */
function session(rng: Rng, u: User, start: number, out: SimRequest[]): void {
  let t = start;
  let token: string | undefined;
  const add = (method: string, url: string, status: number, body?: Record<string, unknown>, dt = 0) =>
    out.push(request({ ts: t + dt, ip: u.ip, client: u.client, method, url, status, label: u.label, token, ...(body === undefined ? {} : { body }) }));

  add('GET', '/api/products?page=1', 200);
  add('GET', '/api/me', 401, undefined, 40 + rng.int(0, 80));
  t += think(rng);
  if (rng.chance(0.6)) {
    // Most people type their password right; some mistype once; a few have forgotten it and try
    // several old ones before it comes back to them (or they give up and only browse).
    const r = rng.next();
    const failures = r < 0.9 ? 0 : r < 0.98 ? 1 : rng.int(2, 8);
    for (let f = 0; f < failures; f++) {
      add('POST', '/api/auth/login', 401, { username: u.username, password: secretHash(`typo${u.n}:${t}`) });
      t += think(rng);
    }
    if (failures < 6 || rng.chance(0.5)) {
      add('POST', '/api/auth/login', 200, { username: u.username, password: secretHash(`pw${u.n}`) });
      token = secretHash(`session${u.n}:${start}`);
      if (rng.chance(0.1)) {
        // A 2FA text; when it is slow to arrive, people ask again (and again).
        const sends = rng.chance(0.85) ? 1 : rng.int(2, 4);
        for (let k = 0; k < sends; k++) {
          t += rng.int(500, 2000) + (k === 0 ? 0 : rng.int(20_000, 60_000));
          add('POST', '/api/auth/otp', 202, { phone: `+1555${String(u.n).padStart(7, '0')}` });
        }
        t += think(rng);
      }
      add('GET', '/api/me', 200, undefined, 300);
      t += think(rng);
    }
  }
  const views = Math.max(1, Math.round(rng.logNormal(8, 0.8)));
  for (let v = 0; v < views; v++) {
    if (rng.chance(0.35)) add('GET', `/api/products?page=${rng.chance(0.5) ? rng.int(1, 5) : rng.int(1, PAGES)}`, 200);
    else {
      // A few stale links to products that no longer exist.
      const id = rng.chance(0.01) ? rng.int(PRODUCTS + 1, PRODUCTS + 500) : rng.int(1, PRODUCTS);
      add('GET', `/api/products/${id}`, id <= PRODUCTS ? 200 : 404);
      if (rng.chance(0.3)) add('GET', `/api/products?page=${1 + Math.floor(id / 20) % PAGES}`, 200, undefined, 60);
    }
    t += think(rng);
  }
  if (token === undefined) return;
  if (rng.chance(0.15)) add('GET', `/api/users/${u.n}`, 200);
  if (rng.chance(0.2)) {
    const items = rng.int(1, 3);
    for (let i = 0; i < items; i++) {
      add('POST', '/api/cart', 200, { productId: rng.int(2, PRODUCTS), qty: rng.int(1, 2) });
      t += think(rng);
    }
    if (rng.chance(0.03)) {
      const code = rng.chance(0.8) ? rng.pick(REFERRALS) : `${rng.pick(REFERRALS).toLowerCase()}x`;
      add('POST', '/api/referrals/redeem', REFERRALS.includes(code) ? 200 : 400, { code });
      t += think(rng);
    }
    if (rng.chance(0.6)) add('POST', '/api/checkout', 200, {});
  }
}

/** A new customer: sign up (sometimes a weak password first), then a session. */
function signUp(rng: Rng, u: User, t: number, out: SimRequest[]): number {
  const email = u.username;
  if (rng.chance(0.1)) {
    out.push(request({ ts: t, ip: u.ip, client: u.client, method: 'POST', url: '/api/auth/register', status: 400, label: u.label, body: { email, password: secretHash('short') } }));
    t += think(rng);
  }
  out.push(request({ ts: t, ip: u.ip, client: u.client, method: 'POST', url: '/api/auth/register', status: 201, label: u.label, body: { email, password: secretHash(`pw${u.n}`) } }));
  return t + think(rng);
}

/** A fan of the drop: signed in, adds the limited product and checks out a few seconds after it opens. */
function dropFan(cx: SimContext, rng: Rng, u: User, out: SimRequest[]): void {
  const token = secretHash(`drop${u.n}`);
  let t = cx.start + cx.durationMs * DROP_AT + rng.int(1500, 20_000);
  out.push(request({ ts: t, ip: u.ip, client: u.client, method: 'POST', url: '/api/cart', status: 200, label: u.label, token, body: { productId: LIMITED_PRODUCT, qty: 1 } }));
  t += rng.int(2000, 8000);
  const r = request({ ts: t, ip: u.ip, client: u.client, method: 'POST', url: '/api/checkout', status: 409, label: u.label, token, body: {} });
  r.limitedCheckout = true;
  out.push(r);
}

/** The partner's catalogue sync: every minute, the first five pages of recent changes, one after another. */
function partner(cx: SimContext, rng: Rng, out: SimRequest[]): void {
  const client = makeClient('partner', rng);
  const ips = [cx.pools.hosting.address(rng), cx.pools.hosting.address(rng)];
  const label: Label = { malicious: false, scenario: 'legit', actor: 'partner:partner' };
  const apiKey = secretHash('partner-key');
  for (let t = cx.start + rng.int(0, 60_000); t < cx.start + cx.durationMs; t += 60_000 + rng.int(-2000, 2000)) {
    let s = t;
    const ip = rng.pick(ips);
    for (let page = 1; page <= 5; page++) {
      out.push(request({ ts: s, ip, client, method: 'GET', url: `/api/products?page=${page}&updated_since=${new Date(t - 60_000).toISOString()}`, status: 200, label, apiKey }));
      s += rng.int(120, 400);
    }
  }
}

/**
 * The legitimate traffic of one window: 6,000 users (× scale) with one to three visits each, and the
 * partner; `users` counts the people (not the partner).
 *
 * @example
 * const records = generatePopulation({ rng: createRng(1), pools: loadAddressPools(), start, durationMs: 7_200_000, scale: 1 });
 */
export function generatePopulation(cx: SimContext): { records: SimRequest[]; users: number } {
  const rng = cx.rng;
  const users = makeUsers(cx, rng, Math.round(POPULATION * cx.scale));
  const out: SimRequest[] = [];
  // Offices shop at lunch: their visits crowd into the same 45 minutes.
  const lunch = cx.start + cx.durationMs * 0.3;
  for (const u of users) {
    const visits = rng.chance(0.7) ? 1 : rng.int(2, 3);
    for (let v = 0; v < visits; v++) {
      let t = u.cohort === 'office' ? lunch + rng.next() * 45 * 60_000 : cx.start + rng.next() * cx.durationMs * 0.95;
      if (v === 0 && rng.chance(0.03)) t = signUp(rng, u, t, out);
      session(rng, u, t, out);
    }
  }
  for (const u of users.filter((x) => x.n % 150 === 7)) dropFan(cx, rng, u, out);
  partner(cx, rng, out);
  return { records: out, users: users.length };
}
