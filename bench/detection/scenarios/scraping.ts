// Catalogue scraping: fast from a few datacenter addresses with a script, and stealthy through
// residential proxies with a real browser's headers at a human-looking pace per address.
import { makeClient } from '../clients.ts';
import { PRODUCTS, productStatus, request } from '../request.ts';
import type { Scenario, SimContext, SimRequest } from '../types.ts';

export const scrapingFast: Scenario = {
  id: 'scraping-fast',
  description: 'Fast scraping: 4 datacenter addresses with python-requests each walk a quarter of the 5,000 product pages at ~5/s.',
  naive: true,
  success: 'page',
  generate(cx: SimContext) {
    const rng = cx.rng;
    const out: SimRequest[] = [];
    const per = Math.round(1250 * cx.scale);
    for (let w = 0; w < 4; w++) {
      const ip = cx.pools.hosting.address(rng);
      const client = makeClient('python-requests', rng);
      let t = cx.start + cx.durationMs * 0.25 + w * 1000;
      for (let k = 0; k < per; k++) {
        const id = w * 1250 + k + 1;
        out.push(request({ ts: t, ip, client, method: 'GET', url: `/api/products/${id}`, status: productStatus(id), label: { malicious: true, scenario: this.id, actor: `w${w}`, success: 'page' } }));
        t += rng.exp(200);
      }
    }
    return out;
  },
};

export const scrapingStealthy: Scenario = {
  id: 'scraping-stealthy',
  description: 'Stealthy scraping: 5,000 product pages over 100 minutes through 500 residential proxies, a real Chrome\'s headers, any one address seldom more than once a minute.',
  naive: false,
  success: 'page',
  generate(cx: SimContext) {
    const rng = cx.rng;
    const ips = Array.from({ length: 500 }, () => cx.pools.residential.address(rng));
    const clients = Array.from({ length: 20 }, () => makeClient('chrome', rng));
    const n = Math.round(PRODUCTS * cx.scale);
    let t = cx.start + cx.durationMs * 0.05;
    const out: SimRequest[] = [];
    for (let k = 0; k < n; k++) {
      const w = rng.int(0, ips.length - 1);
      const id = (k * 2903) % PRODUCTS + 1;
      out.push(request({ ts: t, ip: ips[w]!, client: clients[w % clients.length]!, method: 'GET', url: `/api/products/${id}`, status: productStatus(id), label: { malicious: true, scenario: this.id, actor: ips[w]!, success: 'page' } }));
      t += rng.exp((100 * 60_000) / n);
    }
    return out;
  },
};
