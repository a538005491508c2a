import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { VirtualClock } from '../engine/clock.ts';
import { parsePolicy } from '../policy/load-policy.ts';
import type { IntelDocument } from '../policy/schema.ts';
import { refreshSource, startRefresh } from './feed-refresh.ts';
import type { RefreshTimers } from './feed-refresh.ts';
import { Intel } from './intel.ts';

const GOOD = '# exits\n185.220.101.1\n185.220.101.2\n';
const NEWER = '185.220.101.3\n';
type Mode = 'good' | 'newer' | 'broken' | 'truncated' | 'error';
let mode: Mode = 'good';
const seen: { etag: string | undefined }[] = [];
let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => {
    seen.push({ etag: req.headers['if-none-match'] });
    const body = mode === 'newer' ? NEWER : GOOD;
    const etag = mode === 'newer' ? '"v2"' : '"v1"';
    if (mode === 'error') return void res.writeHead(500).end('oops');
    if (mode === 'broken') return void res.writeHead(200, { etag: '"v3"' }).end('185.220.101.1\n<html>maintenance</html>\n');
    if (mode === 'truncated') {
      res.writeHead(200, { 'content-length': '1000', etag: '"v4"' });
      res.write('185.220.101.1\n185.2');
      setTimeout(() => res.destroy(), 10);
      return;
    }
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res.writeHead(200, { etag, 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address() as { port: number };
  base = `http://127.0.0.1:${address.port}`;
});
after(() => server.close());

function setup(url: string): { intel: Intel; dir: string; clock: VirtualClock } {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-intel-'));
  const clock = new VirtualClock(1_000_000);
  const doc = parsePolicy(`intel: { cache_dir: "${dir}", sources: [{ name: tor, kind: tor, url: "${url}", refresh: 1h }] }`, { env: {} }).intel as IntelDocument;
  return { intel: new Intel(doc, { clock }), dir, clock };
}

const isTor = (intel: Intel, ip: string) => intel.lookup(ip)!.categories().includes('tor');

test('fetches, then asks with the ETag and keeps its copy on 304', async () => {
  mode = 'good';
  const { intel, dir } = setup(`${base}/exits`);
  const tor = intel.sources[0]!;
  assert.equal(isTor(intel, '185.220.101.1'), false);
  assert.equal(await refreshSource(intel, tor), 'refreshed');
  assert.equal(isTor(intel, '185.220.101.1'), true);
  seen.length = 0;
  assert.equal(await refreshSource(intel, tor), 'not-modified');
  assert.equal(seen[0]!.etag, '"v1"');
  assert.equal(isTor(intel, '185.220.101.2'), true);
  assert.deepEqual([tor.refreshed, tor.notModified, tor.failed], [1, 1, 0]);
  mode = 'newer';
  assert.equal(await refreshSource(intel, tor), 'refreshed');
  assert.equal(isTor(intel, '185.220.101.3'), true);
  assert.equal(isTor(intel, '185.220.101.1'), false);
  rmSync(dir, { recursive: true });
});

test('broken, truncated and failed downloads keep the last good copy, and are counted', async () => {
  mode = 'good';
  const { intel, dir } = setup(`${base}/exits`);
  const tor = intel.sources[0]!;
  await refreshSource(intel, tor);
  for (const m of ['broken', 'truncated', 'error'] as const) {
    mode = m;
    assert.equal(await refreshSource(intel, tor), 'failed', m);
    assert.equal(isTor(intel, '185.220.101.2'), true, m);
  }
  assert.equal(tor.failed, 3);
  assert.match(tor.lastError ?? '', /HTTP 500/);
  rmSync(dir, { recursive: true });
});

test('at start-up the disk cache stands in for a server that is down', async () => {
  mode = 'good';
  const { intel, dir, clock } = setup(`${base}/exits`);
  await refreshSource(intel, intel.sources[0]!);
  // Same cache, a server that refuses connections.
  const down = 'http://127.0.0.1:1/exits';
  const doc = parsePolicy(`intel: { cache_dir: "${dir}", sources: [{ name: tor, kind: tor, url: "${base}/exits" }] }`, { env: {} }).intel as IntelDocument;
  const restarted = new Intel(doc, { clock });
  assert.equal(isTor(restarted, '185.220.101.1'), true);
  assert.match(restarted.sources[0]!.origin, /^cache /);
  // A cache made for another URL is not used.
  const other = parsePolicy(`intel: { cache_dir: "${dir}", sources: [{ name: tor, kind: tor, url: "${down}" }] }`, { env: {} }).intel as IntelDocument;
  const moved = new Intel(other, { clock });
  assert.equal(isTor(moved, '185.220.101.1'), false);
  assert.equal(await refreshSource(moved, moved.sources[0]!), 'failed');
  rmSync(dir, { recursive: true });
});

test('the schedule fetches stale sources at once, then every interval, and retries sooner after a failure', async () => {
  mode = 'good';
  const { intel, dir, clock } = setup(`${base}/exits`);
  const pending: { fn: () => void; ms: number }[] = [];
  const timers: RefreshTimers = { setTimeout: (fn, ms) => pending.push({ fn, ms }), clearTimeout: () => {} };
  const refresher = startRefresh(intel, { timers });
  await refresher.firstRound;
  assert.equal(isTor(intel, '185.220.101.1'), true);
  assert.deepEqual(pending.map((p) => p.ms), [3_600_000]);
  mode = 'error';
  clock.advance(3_600_000);
  pending.shift()!.fn();
  // The fetch is real I/O against the local server: wait for it to schedule the retry.
  while (pending.length === 0) await new Promise((r) => setImmediate(r));
  assert.deepEqual(pending.map((p) => p.ms), [360_000]);
  refresher.stop();
  rmSync(dir, { recursive: true });
});
