// limits.max_connections: connections beyond the cap are closed on arrival; those within it are served.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { startGateway, startUpstream } from './helpers.ts';

const running: { close(): Promise<void> }[] = [];
after(async () => {
  for (const r of running.reverse()) await r.close();
});

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

describe('connection cap', () => {
  it('closes connections beyond limits.max_connections and serves again once one is freed', { timeout: 30_000 }, async () => {
    const upstream = await startUpstream((_req, res) => res.end('ok'));
    running.push(upstream);
    const gw = await startGateway(upstream.url, 'rules: []\n', { limits: { max_connections: 2 } });
    running.push(gw);
    const port = Number(new URL(gw.url).port);
    const held = [await open(port), await open(port)];
    const extra = await open(port);
    // The third connection is accepted by the kernel, then closed by the server without an answer.
    await new Promise<void>((resolve) => {
      extra.once('close', () => resolve());
      extra.on('error', () => {});
      extra.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    });
    for (const s of held) s.destroy();
    // Freed: a new client is served (retry briefly while the server notices the closes).
    const agent = new Agent({ connections: 1 });
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      try {
        status = (await request(`${gw.url}/`, { dispatcher: agent })).statusCode;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await agent.close();
    assert.equal(status, 200);
  });
});
