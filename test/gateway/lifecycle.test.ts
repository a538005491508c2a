// Construction and listening: TLS termination with the configured files, clear errors for missing
// or invalid files and for a taken port.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { createEngine } from '../../src/engine/engine.ts';
import { ErrorCode, isRampartError } from '../../src/errors.ts';
import { createGateway } from '../../src/gateway/gateway.ts';
import type { GatewayConfig } from '../../src/gateway/gateway.ts';
import { silentLogger } from '../../src/logger.ts';
import { parsePolicy } from '../../src/policy/load-policy.ts';
import { startGateway, startUpstream } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-gw-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function configWith(gateway: Record<string, unknown>): GatewayConfig {
  return parsePolicy(JSON.stringify({ gateway: { upstream: 'http://127.0.0.1:9', listen: { host: '127.0.0.1', port: 0 }, ...gateway } })).gateway!;
}

const engine = createEngine({ policy: parsePolicy('rules: []\n'), logger: silentLogger });

/** A self-signed certificate for localhost, or null when openssl is not available. */
function selfSigned(): { cert: string; key: string } | null {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    return { cert, key };
  } catch {
    return null;
  }
}

describe('gateway construction and listening', () => {
  it('names the TLS file it cannot read', () => {
    const missing = join(dir, 'nope.pem');
    assert.throws(
      () => createGateway({ engine, config: configWith({ tls: { cert: missing, key: missing } }), logger: silentLogger }),
      (err: unknown) => isRampartError(err) && err.code === ErrorCode.INVALID_ARGUMENT && err.message === `gateway.tls.cert: cannot read ${missing}: no such file`,
    );
  });

  it('rejects files that are not a PEM certificate and key', () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    assert.throws(
      () => createGateway({ engine, config: configWith({ tls: { cert: junk, key: junk } }), logger: silentLogger }),
      (err: unknown) => isRampartError(err) && err.code === ErrorCode.INVALID_ARGUMENT && err.message.startsWith('gateway.tls: '),
    );
  });

  it('rejects listen() with RAMPART_ERR_LISTEN when the port is taken', async () => {
    const upstream = await startUpstream((_req, res) => res.end());
    try {
      const gateway = createGateway({ engine, config: configWith({ listen: { host: '127.0.0.1', port: upstream.port } }), logger: silentLogger });
      await assert.rejects(gateway.listen(), (err: unknown) => isRampartError(err) && err.code === ErrorCode.LISTEN && /address already in use/.test(err.message));
      await gateway.close();
    } finally {
      await upstream.close();
    }
  });

  it('terminates TLS and tells the upstream the client used https', async (t) => {
    const files = selfSigned();
    if (files === null) return t.skip('openssl is not available');
    const upstream = await startUpstream((req, res) => res.end(JSON.stringify(req.headers)));
    const gw = await startGateway(upstream.url, 'rules: []\n', { tls: files });
    const agent = new Agent({ connect: { rejectUnauthorized: false } });
    try {
      assert.match(gw.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await request(`${gw.url}/secure`, { dispatcher: agent });
      const headers = (await res.body.json()) as Record<string, string>;
      assert.equal(res.statusCode, 200);
      assert.equal(headers['x-forwarded-proto'], 'https');
    } finally {
      await agent.close();
      await gw.close();
      await upstream.close();
    }
  });
});
