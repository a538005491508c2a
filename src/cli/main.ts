/**
 * The `rampart` command line: picks the command, maps every failure to an exit code and one line on
 * stderr. A stack trace is never shown unless `RAMPART_DEBUG=1`: users get `rampart: <what went
 * wrong>`, and the exit code says whose mistake it was (2: the command line, 1: anything else).
 *
 * Commands are loaded on demand, so `rampart check` never loads the proxy and its dependencies.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { didYouMean, ExitCode, UsageError } from './args.ts';
import type { CliIo, Command } from './args.ts';

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  start: async () => (await import('./start.ts')).startCommand,
  check: async () => (await import('./check.ts')).checkCommand,
  replay: async () => (await import('./replay.ts')).replayCommand,
  intel: async () => (await import('./intel.ts')).intelCommand,
  schema: async () => (await import('./schema.ts')).schemaCommand,
  version: async () => (await import('./version.ts')).versionCommand,
  help: async () => (await import('./help.ts')).helpCommand,
};

/** Top-level flags that stand for a command. */
const FLAG_COMMANDS: Readonly<Record<string, string>> = { '--help': 'help', '-h': 'help', '--version': 'version' };

function commandFor(argv: readonly string[]): { name: string; args: readonly string[] } {
  const [first, ...rest] = argv;
  if (first === undefined) return { name: 'help', args: [] };
  const flagCommand = FLAG_COMMANDS[first];
  if (flagCommand !== undefined) return { name: flagCommand, args: rest };
  if (first.startsWith('-')) throw new UsageError(`unknown flag ${first}${didYouMean(first, Object.keys(FLAG_COMMANDS))}`);
  if (!Object.hasOwn(COMMANDS, first)) throw new UsageError(`unknown command ${first}${didYouMean(first, Object.keys(COMMANDS))}`);
  // `rampart check --help` means help, whatever else is on the line.
  const dashdash = rest.indexOf('--');
  const flags = dashdash < 0 ? rest : rest.slice(0, dashdash);
  if (flags.includes('--help') || flags.includes('-h')) return { name: 'help', args: [] };
  return { name: first, args: rest };
}

/**
 * Runs one command line and returns the exit code; never throws.
 *
 * @example
 * const code = await runCli(['check', 'rampart.yaml'], { stdout: process.stdout, stderr: process.stderr, env: process.env });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const { name, args } = commandFor(argv);
    const command = await COMMANDS[name]!();
    return await command(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`rampart: ${err.message}; see rampart help\n`);
      return ExitCode.USAGE;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`rampart: ${message.split('\n')[0]}\n`);
    if (io.env['RAMPART_DEBUG'] === '1') io.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    return ExitCode.FAILURE;
  }
}

/**
 * The binary's entry point (bin/rampart.js calls it): runs `process.argv` and sets the exit code.
 *
 * @example
 * await cli(); // as `rampart ...`
 */
export async function cli(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env });
}

// `node src/cli/main.ts …` from a clone, without the launcher.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await cli();
