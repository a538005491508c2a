// Two `rampart start` processes sharing one Redis, no balancer: clients alternate between them and
// a global limit of 100 per minute admits exactly 100 across both, under concurrent load.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { startUpstream } from './gateway/helpers.ts';
import type { Upstream } from './gateway/helpers.ts';
import { BIN, ROOT } from './support/run-binary.ts';
import { deleteKeys } from './support/redis-server.ts';

const PREFIX = `rampart-test:${process.pid}:two:`;
let upstream: Upstream;
let dir: string;
const gateways: { child: ChildProcess; url: string }[] = [];

/** Starts `rampart start` and resolves with the proxy URL from its start-up log line. */
function startProcess(configFile: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'start', '--config', configFile], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${err}`)), 15_000);
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      err += s;
      const m = /"proxy":"(http:\/\/[^"]+)".*rampart gateway started/.exec(err);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${err}`)));
  });
}

before(async () => {
  upstream = await startUpstream((_req, res) => res.end('ok'));
  dir = mkdtempSync(join(tmpdir(), 'rampart-two-'));
  const config = join(dir, 'rampart.yaml');
  writeFileSync(config, `
# A loaded test machine can be slow: a generous timeout, and a failure would refuse (never admit more).
state: { redis: { url: "redis://127.0.0.1:6379", prefix: "${PREFIX}", command_timeout: 10s } }
rules:
  - { name: global, key: global, limit: { rate: 100/min, algorithm: fixed-window }, on_store_error: deny }
gateway: { upstream: "${upstream.url}", listen: { host: 127.0.0.1, port: 0 } }
admin: { enabled: false }
log: { level: info, decisions: { enabled: false } }
`);
  gateways.push(...(await Promise.all([startProcess(config), startProcess(config)])));
});

after(async () => {
  for (const g of gateways) {
    g.child.kill('SIGTERM');
    if (g.child.exitCode === null) await new Promise((r) => g.child.once('exit', r));
  }
  await upstream?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  const admin = new Redis({ host: '127.0.0.1', port: 6379 });
  await deleteKeys(admin, `${PREFIX}*`);
  admin.disconnect();
});

describe('two gateways, one Redis', () => {
  it('admits exactly 100 of 300 concurrent requests alternating between them', async () => {
    // The window is aligned to the minute: start in a fresh one rather than straddle an edge.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 50));
    const statuses: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 300) {
        const i = next++;
        const res = await request(`${gateways[i % 2]!.url}/item/${i}`, { headersTimeout: 5_000, bodyTimeout: 5_000 });
        await res.body.dump();
        statuses.push(res.statusCode);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    assert.equal(statuses.length, 300);
    assert.equal(statuses.filter((s) => s === 200).length, 100);
    assert.equal(statuses.filter((s) => s === 429).length, 200);
    assert.equal(upstream.received.length, 100);
  });
});
