// Private redis-server processes for the cluster and fault-injection tests: spare ports, a temp
// dir, no persistence; the caller stops them (in `after`). Tests that only need a Redis use the one
// on 127.0.0.1:6379 (the CI starts it) and fail when it is missing.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  /** The running process (replaced by `restart`). */
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts redis-server again on the same port (after a kill). */
  restart(): Promise<void>;
  /** Kills the server and removes its directory. */
  stop(): Promise<void>;
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPing(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
    if (r.stdout.trim() === 'PONG') return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`redis-server on port ${port} did not start`);
}

/** Starts `redis-server` on a free port with `extra` arguments. */
export async function startRedis(extra: readonly string[] = []): Promise<RedisProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rampart-redis-'));
  const launch = (): ChildProcess =>
    spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], { stdio: 'ignore' });
  const exited = (child: ChildProcess): Promise<void> =>
    child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((res) => child.once('exit', () => res()));
  const proc: RedisProcess = {
    port,
    url: `redis://127.0.0.1:${port}`,
    child: launch(),
    async kill(signal = 'SIGKILL') {
      proc.child.kill(signal);
      await exited(proc.child);
    },
    async restart() {
      proc.child = launch();
      await waitForPing(port);
    },
    async stop() {
      await proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await waitForPing(port);
  return proc;
}

/** Deletes every key matching `pattern` on the server at `url`. */
export async function deleteKeys(client: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

/** The keys matching `pattern`. */
export async function listKeys(client: Redis, pattern: string): Promise<string[]> {
  let cursor = '0';
  const found: string[] = [];
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/** Counts keys matching `pattern`. */
export async function countKeys(client: Redis, pattern: string): Promise<number> {
  return (await listKeys(client, pattern)).length;
}
