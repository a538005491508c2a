/**
 * Runs the gateway from a policy file: engine, decision log, metrics, proxy listener and admin
 * listener, with hot reload. `rampart start` and `npm start` use it; so do the end-to-end tests.
 *
 * Reload (file change, SIGHUP via the CLI, or `reload()`): the file is read and validated again and
 * the new policy swapped in atomically; counters survive for rules whose name and algorithm stay the
 * same. A file that fails to load keeps the old policy running and logs every problem. Changes to the
 * `gateway`, `admin`, `log` and `state` sections need a restart (logged as a warning).
 */
import { pino } from 'pino';
import { createAdminServer } from '../admin/admin-server.ts';
import { createEngine } from '../engine/engine.ts';
import type { Engine } from '../engine/engine.ts';
import { ErrorCode, RampartError, toRampartError } from '../errors.ts';
import { acquireRefresh } from '../intel/shared-intel.ts';
import type { Logger } from '../logger.ts';
import { createDecisionLog } from '../observe/decision-log.ts';
import { createMetrics } from '../observe/metrics.ts';
import type { RequestObserver } from '../observe/request-observer.ts';
import { loadPolicyFile } from '../policy/load-policy.ts';
import type { PolicyDocument } from '../policy/schema.ts';
import { watchConfig } from './config-watcher.ts';
import { createGateway } from './gateway.ts';

export interface RunOptions {
  configFile: string;
  /** Variables for `${NAME}` in the file. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Operational log. Default: pino on stderr at the file's `log.level`. */
  logger?: Logger;
  /** Reload when the file changes. Default true. */
  watch?: boolean;
}

export type ReloadResult = { ok: true } | { ok: false; error: RampartError };

export interface RunningGateway {
  /** Where the proxy listens, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Where the admin listener is, or null when disabled. */
  readonly adminUrl: string | null;
  readonly engine: Engine;
  reload(): Promise<ReloadResult>;
  /** Stops accepting, finishes in-flight requests (bounded by `gateway.timeouts.shutdown`), closes everything. */
  shutdown(): Promise<void>;
}

/** Sections that are read once at start. */
const RESTART_SECTIONS = ['gateway', 'admin', 'log', 'state'] as const;

/** How many slots the background sweep examines per second: frees expired keys even without traffic. */
const SWEEP_BUDGET = 20_000;

/**
 * Starts everything the file describes.
 *
 * @throws RampartError when the file cannot be read, is invalid, has no `gateway` section, or a port is taken.
 * @example
 * const running = await runGateway({ configFile: 'rampart.yaml' });
 * process.once('SIGTERM', () => void running.shutdown());
 */
export async function runGateway(options: RunOptions): Promise<RunningGateway> {
  const { configFile } = options;
  const loadOptions = options.env === undefined ? {} : { env: options.env };
  const policy = loadPolicyFile(configFile, loadOptions);
  const gatewayConfig = policy.gateway;
  if (gatewayConfig === undefined) {
    throw new RampartError(ErrorCode.INVALID_CONFIG, `${configFile}: no \`gateway\` section; add one with the upstream to protect, e.g. gateway: { upstream: http://127.0.0.1:5000 }`, {
      issues: [{ path: 'gateway', message: 'missing: add `gateway: { upstream: http://127.0.0.1:5000 }`' }],
    });
  }
  const logger: Logger = options.logger ?? pino({ level: policy.log.level, base: { name: 'rampart' } }, pino.destination({ fd: 2, sync: false }));
  const engine = createEngine({ policy, logger, source: configFile });
  // A shared store connects before the first request, within its connect timeout; if Redis is down the
  // gateway starts anyway, its limits fall back as configured and it reconnects by itself.
  await engine.store.ready?.();
  engine.warnIfUnsharedSecret();

  const observers: RequestObserver[] = [];
  const decisionLog = createDecisionLog(policy.log.decisions, { ...apiKeyOptions(policy), logger });
  observers.push(decisionLog);
  const metrics = policy.admin.enabled ? createMetrics({ store: engine.store, intel: () => engine.intel, tarpit: engine.tarpit }) : null;
  // URL intel sources are fetched in the background: start-up never waits on the network.
  let intelInUse = engine.intel;
  let intelRefresh = intelInUse === null ? null : acquireRefresh(intelInUse);
  if (metrics !== null) observers.push(metrics.observer);

  const gateway = createGateway({ engine, config: gatewayConfig, observers, logger });
  const admin = policy.admin.enabled
    ? createAdminServer({ host: policy.admin.host, port: policy.admin.port, metrics, ready: () => ready, logger })
    : null;

  let ready = false;
  /** What is in force for the sections read once at start: reloads can't change them. */
  const running = policy;
  let proxyAddress: Awaited<ReturnType<typeof gateway.listen>>;
  try {
    proxyAddress = await gateway.listen();
  } catch (err) {
    await engine.close(); // a Redis connection would keep the process alive
    throw err;
  }
  let adminUrl: string | null = null;
  try {
    if (admin !== null) adminUrl = (await admin.listen()).url;
  } catch (err) {
    await gateway.close();
    await engine.close();
    throw new RampartError(ErrorCode.LISTEN, `admin listener: cannot listen on ${policy.admin.host}:${policy.admin.port}: ${(err as Error).message}`, { cause: err });
  }

  // One timer for the whole store (never one per key): frees expired keys even when traffic stops.
  const store = engine.store as { sweep?: (now: number, budget: number) => number };
  const sweeper = typeof store.sweep === 'function' ? setInterval(() => store.sweep!(engine.clock.now(), SWEEP_BUDGET), 1000) : null;
  sweeper?.unref();

  const reloadNow = (): ReloadResult => {
    try {
      const next = loadPolicyFile(configFile, loadOptions);
      engine.reload(next, configFile);
      if (engine.intel !== intelInUse) {
        intelRefresh?.release();
        intelInUse = engine.intel;
        intelRefresh = intelInUse === null ? null : acquireRefresh(intelInUse);
      }
      engine.warnIfUnsharedSecret();
      decisionLog.updateSecrets(apiKeyOptions(next));
      const changed = RESTART_SECTIONS.filter((s) => JSON.stringify(next[s]) !== JSON.stringify(running[s]));
      if (changed.length > 0) logger.warn({ sections: changed }, 'reloaded; the file differs from the running settings in these sections, which take effect after a restart');
      else logger.info({ file: configFile, rules: next.rules.length }, 'policy reloaded');
      return { ok: true };
    } catch (err) {
      const error = toRampartError(ErrorCode.CONFIG_READ, err);
      logger.error({ file: configFile, code: error.code, issues: error.issues, err: error.message }, 'reload failed; the previous policy stays in force');
      return { ok: false, error };
    }
  };
  // A burst of file events and signals within one tick shares one reload.
  let reloading: Promise<ReloadResult> | null = null;
  const reload = (): Promise<ReloadResult> => {
    if (reloading !== null) return reloading;
    const pending = Promise.resolve().then(reloadNow);
    reloading = pending;
    void pending.finally(() => {
      if (reloading === pending) reloading = null;
    });
    return pending;
  };

  const watcher = options.watch === false ? null : watchConfig(configFile, () => void reload());
  ready = true;
  logger.info({ proxy: proxyAddress.url, admin: adminUrl, upstream: gatewayConfig.upstream, rules: policy.rules.length }, 'rampart gateway started');

  let stopping: Promise<void> | null = null;
  return {
    url: proxyAddress.url,
    adminUrl,
    engine,
    reload,
    shutdown() {
      stopping ??= (async () => {
        ready = false;
        watcher?.close();
        if (sweeper !== null) clearInterval(sweeper);
        intelRefresh?.release();
        await gateway.close();
        await admin?.close();
        await engine.close();
        logger.info({}, 'rampart gateway stopped');
      })();
      return stopping;
    },
  };
}

/** Where the policy reads API keys from, so the decision log hashes them there too. */
function apiKeyOptions(policy: PolicyDocument): { apiKeyHeader?: string; apiKeyQuery?: string } {
  const { header, query } = policy.identities.api_key;
  return { ...(header === undefined ? {} : { apiKeyHeader: header.toLowerCase() }), ...(query === undefined ? {} : { apiKeyQuery: query }) };
}
