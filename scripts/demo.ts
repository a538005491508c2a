/**
 * `npm start`: the demo shop on 127.0.0.1 and Rampart in front of it, in one process, with
 * examples/shop/rampart.yaml. Prints where everything is and a few curl lines to try (to stderr),
 * then the decision log, one JSON line per request (to stdout). Ctrl-C stops both.
 *
 * Ports: SHOP_PORT (default 5000), PORT (default 8080), ADMIN_PORT (default 9090); 0 picks a free one.
 */
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { startShop } from '../examples/shop/server.ts';
import type { RunningShop } from '../examples/shop/server.ts';
import { runGateway } from '../src/gateway/run-gateway.ts';
import type { RunningGateway } from '../src/gateway/run-gateway.ts';

const policyFile = relative(process.cwd(), fileURLToPath(new URL('../examples/shop/rampart.yaml', import.meta.url))) || 'rampart.yaml';

function fail(message: string): never {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
}

const portInUse = (err: unknown) => (err as NodeJS.ErrnoException).code === 'EADDRINUSE' || /EADDRINUSE/.test(String((err as Error).message));

let shop: RunningShop;
try {
  shop = await startShop({ host: '127.0.0.1', port: Number(process.env['SHOP_PORT'] ?? 5000) });
} catch (err) {
  fail(portInUse(err) ? `port ${process.env['SHOP_PORT'] ?? 5000} is taken; try SHOP_PORT=5050 npm start` : (err as Error).message);
}

let gateway: RunningGateway;
try {
  gateway = await runGateway({ configFile: policyFile, env: { ...process.env, SHOP_PORT: String(shop.port) } });
} catch (err) {
  await shop.close();
  fail(portInUse(err) ? `${(err as Error).message}; set PORT (gateway) or ADMIN_PORT (admin) to a free port` : (err as Error).message);
}

const url = gateway.url;
const json = `-H 'content-type: application/json'`;
const rows: [string, string][] = [
  ['the shop, unprotected', shop.url],
  ['the shop through Rampart', url],
  ['admin (health, metrics)', gateway.adminUrl ?? 'disabled'],
  ['policy', policyFile],
  ['demo users', 'alice / wonderland, bob / builder (all in examples/shop/shop-state.ts)'],
];
process.stderr.write(`
Rampart demo
${rows.map(([label, value]) => `  ${label.padEnd(26)}${value}`).join('\n')}

Try, in another terminal:

  # Six wrong passwords for one account: the 6th gets 429 (rule login-per-user: 5 failures per 15 min)
  for i in 1 2 3 4 5 6; do curl -s -o /dev/null -w '%{http_code}\\n' ${json} \\
    -d '{"username":"alice","password":"guess'$i'"}' ${url}/api/auth/login; done

  # The refusal with its headers; another spelling of the path is the same route
  curl -i --path-as-is ${json} -d '{"username":"alice","password":"x"}' '${url}//API/./auth/%6cogin;x=1'

  # The same guesses straight to the shop are never refused
  curl -s ${json} -d '{"username":"alice","password":"x"}' ${shop.url}/api/auth/login

  # A right password goes through and returns a token
  curl -s ${json} -d '{"username":"bob","password":"builder"}' ${url}/api/auth/login

  # A scanner's probe: 403, and the shop never sees it
  curl -i ${url}/.env

  # Metrics
  curl -s ${gateway.adminUrl ?? `<admin disabled>`}/metrics | grep '^rampart_'

The decision log follows on stdout, one JSON line per request. Ctrl-C stops.

`);

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) process.exit(1);
  stopping = true;
  process.stderr.write(`\ndemo: ${signal}: stopping (again to exit at once)\n`);
  void gateway
    .shutdown()
    .then(() => shop.close())
    .then(() => process.exit(0), (err: unknown) => fail((err as Error).message));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
