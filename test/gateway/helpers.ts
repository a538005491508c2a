// Shared set-up for the gateway tests: a small upstream, a gateway in front of it, raw-socket requests.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createEngine } from '../../src/engine/engine.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { createGateway } from '../../src/gateway/gateway.ts';
import type { Gateway } from '../../src/gateway/gateway.ts';
import { silentLogger } from '../../src/logger.ts';
import type { RequestObserver, RequestRecord } from '../../src/observe/request-observer.ts';
import { parsePolicy } from '../../src/policy/load-policy.ts';

export interface Upstream {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Requests the upstream has received (counted when their head arrives). */
  readonly received: IncomingMessage[];
  close(): Promise<void>;
}

/** An upstream on 127.0.0.1 with the given handler; it records every request it sees. */
export async function startUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Upstream> {
  const received: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    received.push(req);
    handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Reads a request body to the end. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly gateway: Gateway;
  readonly engine: Engine;
  /** Every record the gateway reported, in order. */
  readonly records: RequestRecord[];
  close(): Promise<void>;
}

/**
 * A gateway on 127.0.0.1 in front of `upstream`, with the policy `rulesYaml` (top-level keys other than
 * `gateway`) and a `gateway` section built from `gateway` (merged over upstream and listen).
 */
export async function startGateway(upstream: string, rulesYaml: string, gateway: Record<string, unknown> = {}, observers: readonly RequestObserver[] = []): Promise<RunningGateway> {
  const policy = parsePolicy(rulesYaml);
  const config = parsePolicy(JSON.stringify({ gateway: { upstream, listen: { host: '127.0.0.1', port: 0 }, ...gateway } })).gateway!;
  const engine = createEngine({ policy, logger: silentLogger });
  const records: RequestRecord[] = [];
  const gw = createGateway({ engine, config, observers: [{ onRequest: (r) => void records.push(r) }, ...observers], logger: silentLogger });
  const address = await gw.listen();
  return { url: address.url, port: address.port, gateway: gw, engine, records, close: () => gw.close() };
}

/** Waits until `check()` is true, polling on the event loop (no fixed sleeps in assertions). */
export async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface RawResult {
  /** Everything the server sent before closing (or before `stopAfter` matched). */
  text: string;
  /** True when the server closed the connection. */
  closed: boolean;
}

/**
 * Sends `text` on a raw TCP connection and collects the answer until the server closes the
 * connection, or until `stopAfter` matches what has arrived (then the client closes).
 */
export function rawExchange(port: number, text: string | Buffer, stopAfter?: RegExp): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      resolve({ text: received, closed });
      socket.destroy();
    };
    socket.on('connect', () => socket.write(text));
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      if (stopAfter !== undefined && stopAfter.test(received)) finish(false);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset after the answer arrived still counts as the server closing.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') finish(true);
      else if (!done) reject(err);
    });
    socket.on('close', () => finish(true));
  });
}

/** The status code of the first response in a raw answer, or 0. */
export function statusOf(raw: string): number {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
  return m === null ? 0 : Number(m[1]);
}

/** An address on 127.0.0.1 where nothing listens (a server was bound there and closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
