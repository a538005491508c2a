// @fastify/http-proxy in front of the upstream: the proxy a Fastify user would reach for.
// Used by bench/gateway.bench.ts. PORT and UPSTREAM from the environment.
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const app = Fastify({ logger: false });
await app.register(proxy, { upstream: process.env['UPSTREAM'] ?? 'http://127.0.0.1:5000', http2: false });
await app.listen({ port: Number(process.env['PORT'] ?? 8082), host: '127.0.0.1' });
process.send?.('ready');
