/**
 * `rampart start --config <file>`: runs the gateway until SIGTERM or SIGINT. Owns the process's
 * signals: SIGHUP reloads the policy, the first SIGTERM/SIGINT shuts down gracefully (exit 0), a
 * second one exits at once (exit 1) for an operator who will not wait for in-flight requests.
 */
import type { RunningGateway } from '../gateway/run-gateway.ts';
import { configFileArg, ExitCode } from './args.ts';
import type { CliIo, Command } from './args.ts';
import { configErrorLines } from './config-report.ts';

/**
 * Starts the gateway and prints where it listens, on one line to stderr. Resolves only when the
 * process is about to exit: after a signal and the shutdown it triggers.
 *
 * @example
 * // rampart start --config rampart.yaml
 * // rampart: proxy http://127.0.0.1:8080 → upstream http://127.0.0.1:5000; admin http://127.0.0.1:9090
 */
export const startCommand: Command = async (args, io) => {
  const configFile = configFileArg('start', args);
  // Loaded after the arguments are checked: a usage error needs none of the proxy's modules.
  const { runGateway } = await import('../gateway/run-gateway.ts');
  let running: RunningGateway;
  try {
    running = await runGateway({ configFile, env: io.env, watch: true });
  } catch (err) {
    const lines = configErrorLines(configFile, err);
    if (lines === null) throw err;
    io.stderr.write(`${lines.join('\n')}\n`);
    return ExitCode.FAILURE;
  }
  const upstream = running.engine.policy.document.gateway?.upstream ?? '?';
  io.stderr.write(`rampart: proxy ${running.url} → upstream ${upstream}; admin ${running.adminUrl ?? 'disabled'}\n`);
  process.on('SIGHUP', () => void reload(running, configFile, io));
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        io.stderr.write(`rampart: ${signal} again; exiting without waiting\n`);
        process.exit(ExitCode.FAILURE);
      }
      stopping = true;
      io.stderr.write(`rampart: ${signal}: finishing in-flight requests (send it again to exit at once)\n`);
      running.shutdown().then(
        () => resolve(ExitCode.OK),
        (err: unknown) => {
          io.stderr.write(`rampart: shutdown failed: ${(err as Error).message}\n`);
          resolve(ExitCode.FAILURE);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
};

async function reload(running: RunningGateway, configFile: string, io: CliIo): Promise<void> {
  const result = await running.reload();
  if (result.ok) {
    io.stderr.write(`rampart: SIGHUP: reloaded ${configFile}\n`);
    return;
  }
  const lines = configErrorLines(configFile, result.error) ?? [result.error.message];
  io.stderr.write(`rampart: SIGHUP: ${configFile} not reloaded; the previous policy stays in force\n${lines.join('\n')}\n`);
}
