// Attacks on the rest of the shop: user id enumeration, SMS/OTP bombing of one phone, fake sign-ups
// with disposable e-mail, scalping the limited drop, and vulnerability scanning.
import { createRequire } from 'node:module';
import { makeClient } from '../clients.ts';
import type { Rng } from '../prng.ts';
import { secretHash } from '../prng.ts';
import { DROP_AT, POPULATION } from '../population.ts';
import { LIMITED_PRODUCT, request } from '../request.ts';
import type { Scenario, SimContext, SimRequest } from '../types.ts';

export const enumeration: Scenario = {
  id: 'enumeration',
  description: 'User id enumeration: one datacenter address with a signed-in token walks /api/users/1..4000 at ~4/s; each 403 confirms an account exists.',
  naive: true,
  success: 'record',
  generate(cx: SimContext) {
    const rng = cx.rng;
    const ip = cx.pools.hosting.address(rng);
    const client = makeClient('go', rng);
    const token = secretHash('enumerator');
    let t = cx.start + cx.durationMs * 0.35;
    const out: SimRequest[] = [];
    for (let id = 1; id <= Math.round(4000 * cx.scale); id++) {
      // Ids above the population's were never issued: 404; the rest exist (403, not the caller's).
      const exists = id <= POPULATION * cx.scale;
      out.push(request({ ts: t, ip, client, method: 'GET', url: `/api/users/${id}`, token, status: exists ? 403 : 404, label: { malicious: true, scenario: this.id, actor: 'bot', ...(exists ? { success: 'record' as const } : {}) } }));
      t += rng.exp(250);
    }
    return out;
  },
};

export const otpBombing: Scenario = {
  id: 'otp-bombing',
  description: 'SMS bombing of one phone number: an OTP request every ~3 s for 30 minutes, each through a different residential proxy, browser user agents rotating.',
  naive: true,
  success: 'sms',
  generate(cx: SimContext) {
    const rng = cx.rng;
    const client = makeClient('rotating', rng);
    let t = cx.start + cx.durationMs * 0.55;
    const out: SimRequest[] = [];
    for (let i = 0; i < Math.round(600 * cx.scale); i++) {
      const ip = cx.pools.residential.address(rng);
      out.push(request({ ts: t, ip, client, method: 'POST', url: '/api/auth/otp', status: 202, body: { phone: '+447700900123' }, label: { malicious: true, scenario: this.id, actor: ip, success: 'sms' } }));
      t += rng.int(2000, 4000);
    }
    return out;
  },
};

function disposableDomains(rng: Rng): string[] {
  let all: string[];
  try {
    all = createRequire(import.meta.url)('disposable-email-domains') as string[];
  } catch {
    all = ['mailinator.com', 'guerrillamail.com', '10minutemail.com', 'trashmail.com', 'yopmail.com'];
  }
  return Array.from({ length: 30 }, () => rng.pick(all));
}

export const fakeSignups: Scenario = {
  id: 'fake-signups',
  description: 'Fake sign-ups: 800 accounts in an hour with disposable e-mail domains, from addresses spread over 10 datacenter /24 networks, python-requests.',
  naive: false,
  success: 'account',
  generate(cx: SimContext) {
    const rng = cx.rng;
    const blocks = Array.from({ length: 10 }, () => cx.pools.hosting.block24(rng));
    const domains = disposableDomains(rng);
    const client = makeClient('python-requests', rng);
    const n = Math.round(800 * cx.scale);
    let t = cx.start + cx.durationMs * 0.6;
    const out: SimRequest[] = [];
    for (let i = 0; i < n; i++) {
      const ip = rng.pick(blocks)(rng);
      const email = `${rng.pick(['john', 'anna', 'mike', 'lena', 'tom', 'sara'])}${rng.int(100, 99_999)}@${rng.pick(domains)}`;
      out.push(request({ ts: t, ip, client, method: 'POST', url: '/api/auth/register', status: 201, body: { email, password: secretHash(email) }, label: { malicious: true, scenario: this.id, actor: ip, success: 'account' } }));
      t += rng.exp(3_600_000 / n);
    }
    return out;
  },
};

export const scalping: Scenario = {
  id: 'scalping',
  description: 'Scalping the limited drop (10 pairs): 40 bot accounts on 40 residential proxies add it to the cart as it opens and retry checkout every ~150 ms.',
  naive: false,
  success: 'purchase',
  generate(cx: SimContext) {
    const rng = cx.rng;
    const drop = cx.start + cx.durationMs * DROP_AT;
    const out: SimRequest[] = [];
    for (let b = 0; b < 40; b++) {
      const ip = cx.pools.residential.address(rng);
      const client = makeClient(rng.chance(0.5) ? 'headless-chrome' : 'go', rng);
      const token = secretHash(`scalper${b}`);
      const label = { malicious: true, scenario: this.id, actor: `bot${b}` };
      let t = drop + rng.int(0, 400);
      out.push(request({ ts: t, ip, client, method: 'POST', url: '/api/cart', token, status: 200, body: { productId: LIMITED_PRODUCT, qty: 1 }, label }));
      for (let k = 0; k < 15; k++) {
        t += rng.int(100, 200);
        const r = request({ ts: t, ip, client, method: 'POST', url: '/api/checkout', token, status: 409, body: {}, label });
        r.limitedCheckout = true;
        out.push(r);
      }
    }
    return out;
  },
};

const PROBES = [
  '/.env', '/.env.bak', '/.git/config', '/.git/HEAD', '/.svn/entries', '/.DS_Store', '/.htaccess', '/.htpasswd', '/.aws/credentials',
  '/wp-login.php', '/wp-admin/', '/wp-config.php.bak', '/xmlrpc.php', '/phpmyadmin/index.php', '/pma/', '/admin/', '/admin/login',
  '/administrator/', '/manager/html', '/server-status', '/config.php', '/config.json', '/backup.zip', '/backup.sql', '/db.sql',
  '/dump.sql', '/actuator/env', '/actuator/health', '/api/swagger.json', '/swagger-ui.html', '/v2/api-docs', '/graphql',
  '/console', '/debug/pprof/', '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php', '/cgi-bin/luci', '/boaform/admin/formLogin',
  '/HNAP1/', '/solr/admin/info/system', '/telescope/requests', '/_ignition/execute-solution', '/.well-known/security.txt',
  '/api/v1/users', '/api/admin/users', '/api/internal/config', '/api/debug', '/api/products/../../etc/passwd',
  '/index.php?s=/Index/\\think\\app/invokefunction', '/shell.php', '/cmd.php', '/c99.php', '/r57.php', '/info.php', '/phpinfo.php',
  '/test.php', '/setup.php', '/install.php', '/web.config', '/WEB-INF/web.xml', '/crossdomain.xml', '/owa/auth/logon.aspx',
  '/remote/login', '/global-protect/login.esp', '/dana-na/auth/url_default/welcome.cgi', '/jenkins/login', '/user/login',
];

export const scanning: Scenario = {
  id: 'scanning',
  description: `Vulnerability scanning: one datacenter address with a scanner's user agent requests ${PROBES.length} well-known probe paths under 6 prefixes at ~15/s.`,
  naive: true,
  success: 'probe',
  generate(cx: SimContext) {
    const rng = cx.rng;
    const ip = cx.pools.hosting.address(rng);
    const client = makeClient('scanner', rng);
    let t = cx.start + cx.durationMs * 0.7;
    const out: SimRequest[] = [];
    for (const prefix of ['', '/api', '/shop', '/old', '/backup', '/v1']) {
      for (const path of PROBES) {
        const url = prefix + path;
        // None of them exists in the shop: 404 throughout.
        out.push(request({ ts: t, ip, client, method: 'GET', url, status: 404, label: { malicious: true, scenario: this.id, actor: 'bot', success: 'probe' } }));
        t += rng.exp(66);
      }
    }
    return out;
  },
};
