import { createEngine } from './src/engine/engine.ts';
import { silentLogger } from './src/logger.ts';
import { parsePolicy } from './src/policy/load-policy.ts';
const N = 1_000_000;
const ips: string[] = new Array(N);
for (let i = 0; i < N; i++) ips[i] = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
const engine = createEngine({ policy: parsePolicy(`
state: { memory: { max_keys: 2100000 } }
rules:
  - { name: per-minute, match: GET /api/products/:id, limit: { rate: 1000000000/min } }
  - { name: per-hour, match: /api/**, limit: { rate: 1000000000/hour } }
`), logger: silentLogger });
const headers = { 'user-agent': 'bench', accept: '*/*' };
for (let i = 0; i < N; i++) engine.evaluate({ method: 'GET', url: '/api/products/42', headers, ip: ips[i]! });
for (let r = 0; r < 3; r++) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) engine.evaluate({ method: 'GET', url: '/api/products/42', headers, ip: ips[i]! });
  console.log(Number(process.hrtime.bigint() - t) / N, 'ns/op');
}
