// The cheapest useful Node reverse proxy: node:http in, one undici Pool out, bodies streamed both
// ways, hop-by-hop headers not even filtered. The ceiling a Node gateway can reach; used by
// bench/gateway.bench.ts. PORT and UPSTREAM from the environment.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const upstream = process.env['UPSTREAM'] ?? 'http://127.0.0.1:5000';
const pool = new Pool(upstream, { connections: 128, pipelining: 1 });

const server = createServer((req, res) => {
  pool
    .stream(
      { method: req.method as 'GET', path: req.url ?? '/', headers: req.headers as Record<string, string>, body: req.method === 'GET' || req.method === 'HEAD' ? null : req },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, headers as Record<string, string>);
        return res;
      },
    )
    .catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.env['PORT'] ?? 8081), '127.0.0.1', () => process.send?.('ready'));
