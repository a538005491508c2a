// Rampart's gateway for bench/gateway.bench.ts: runGateway with the config file given in CONFIG.
import { runGateway } from '../../src/gateway/run-gateway.ts';

const running = await runGateway({ configFile: process.env['CONFIG']!, watch: false });
process.send?.('ready');
process.once('SIGTERM', () => void running.shutdown().then(() => process.exit(0)));
