// IP intelligence in the running gateway: a URL feed is fetched in the background (start-up does not wait
// for it), its category decides requests once it arrives, metrics count the refreshes, and a gateway
// started while the feed server is down answers from the disk cache.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { runGateway } from '../../src/gateway/run-gateway.ts';
import { silentLogger } from '../../src/logger.ts';
import { startUpstream, until } from './helpers.ts';
import type { Upstream } from './helpers.ts';

describe('gateway: intel feeds', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-intel-gw-'));
  const cacheDir = join(dir, 'cache');
  let upstream: Upstream;
  let feed: Server;
  let feedUrl = '';
  let fetches = 0;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    feed = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { etag: '"1"' }).end('# test clients\n127.0.0.0/8\n');
    });
    await new Promise<void>((r) => feed.listen(0, '127.0.0.1', r));
    feedUrl = `http://127.0.0.1:${(feed.address() as { port: number }).port}/blocked.txt`;
  });
  after(async () => {
    await upstream.close();
    feed.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A policy file in a directory of its own (intel is shared per directory and section), all sharing one cache. */
  function policyFile(): string {
    const file = join(mkdtempSync(join(dir, 'policy-')), 'rampart.yaml');
    writeFileSync(
      file,
      `intel:
  cache_dir: ${cacheDir}
  sources: [{ name: blocked, kind: list, category: blocked, url: "${feedUrl}", refresh: 1h }]
rules:
  - { name: blocked-clients, when: [{ ip.category: blocked }], action: deny }
gateway: { upstream: "${upstream.url}", listen: { host: 127.0.0.1, port: 0 } }
admin: { host: 127.0.0.1, port: 0 }
log: { decisions: { enabled: false } }
`,
    );
    return file;
  }

  const status = async (url: string) => {
    const r = await request(url);
    await r.body.text();
    return r.statusCode;
  };
  const metrics = async (adminUrl: string) => (await request(`${adminUrl}/metrics`)).body.text();

  it('fetches the feed in the background, applies it, counts it, and caches it for a start without network', async () => {
    const first = await runGateway({ configFile: policyFile(), logger: silentLogger, watch: false });
    try {
      await until(() => first.engine.intel!.sources[0]!.data !== null, 'the feed to be fetched and installed');
      assert.equal(fetches, 1);
      assert.equal(await status(`${first.url}/anything`), 403);
      const text = await metrics(first.adminUrl!);
      assert.match(text, /rampart_intel_refresh_total\{source="blocked",result="refreshed"\} 1/);
      assert.match(text, /rampart_intel_source_entries\{source="blocked"\} 1/);
    } finally {
      await first.shutdown();
    }

    await new Promise((r) => feed.close(r));
    const second = await runGateway({ configFile: policyFile(), logger: silentLogger, watch: false });
    try {
      // Built from the disk cache at start-up, before any fetch (the server is gone).
      assert.match(second.engine.intel!.sources[0]!.origin, /^cache /);
      assert.equal(await status(`${second.url}/anything`), 403);
      // The cached copy is younger than `refresh`: the next fetch is an hour away.
      assert.equal(second.engine.intel!.sources[0]!.lastAttempt, null);
    } finally {
      await second.shutdown();
    }
  });
});
