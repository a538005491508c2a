/**
 * What every command shares: where it writes, the environment it reads, and strict argument parsing
 * whose mistakes become one-line usage errors (exit 2) instead of node's long messages.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsOptionsConfig } from 'node:util';

/** Where a command writes and what environment it sees; `process` in the binary, buffers in tests. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A command: arguments after its name → exit code. */
export type Command = (args: readonly string[], io: CliIo) => Promise<number>;

/** The exit codes, as documented in docs/cli.md. */
export const ExitCode = {
  OK: 0,
  /** The command ran and failed: invalid config, unreadable file, port taken, forced shutdown. */
  FAILURE: 1,
  /** The command line itself is wrong: unknown command or flag, missing argument. */
  USAGE: 2,
} as const;

/**
 * A mistake in the command line. The message is one line without the `rampart:` prefix.
 *
 * @example
 * throw new UsageError('check needs a config file: rampart check <config>');
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Edit distance, for suggestions; inputs are short command-line words. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * ` (did you mean x?)` for the nearest candidate within two edits (or a prefix of one), else ''.
 *
 * @example
 * didYouMean('chek', ['start', 'check']) // ' (did you mean check?)'
 */
export function didYouMean(word: string, candidates: readonly string[]): string {
  // One or two letters are too little to guess from (`-v` is not a typo of `-h`).
  if (word.replace(/^-+/, '').length < 3) return '';
  let best: string | null = null;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = candidate.startsWith(word) && word.length >= 3 ? 1 : distance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best === null ? '' : ` (did you mean ${best}?)`;
}

/** Node's parseArgs error codes we turn into short messages. */
const ARG_ERRORS: Readonly<Record<string, (quoted: string) => string>> = {
  ERR_PARSE_ARGS_UNKNOWN_OPTION: (flag) => `unknown flag ${flag}`,
  ERR_PARSE_ARGS_INVALID_OPTION_VALUE: (flag) => `${flag.split(', ').pop()!.replace(/ <value>$/, '')} needs a value`,
  ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL: (arg) => `unexpected argument ${arg}`,
};

/**
 * `parseArgs` in strict mode, with errors as {@link UsageError}.
 *
 * @example
 * const { values, positionals } = parseCommandArgs('check', args, { config: { type: 'string', short: 'c' } }, 1);
 */
export function parseCommandArgs<T extends ParseArgsOptionsConfig>(command: string, args: readonly string[], options: T, maxPositionals: number) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: maxPositionals > 0 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const quoted = /'([^']+)'/.exec((err as Error).message)?.[1];
    const describe = ARG_ERRORS[code];
    if (describe !== undefined && quoted !== undefined) {
      const hint = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? didYouMean(quoted.replace(/=.*$/, ''), [...Object.keys(options).map((o) => `--${o}`), '--help']) : '';
      throw new UsageError(`${command}: ${describe(quoted)}${hint}`);
    }
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`${command}: unexpected argument ${parsed.positionals[maxPositionals]}`);
  }
  return parsed;
}

const USAGES: Readonly<Record<string, string>> = { check: 'rampart check <config>', start: 'rampart start --config <file>' };

/**
 * The config file of `start` and `check`: `--config <file>`, `-c <file>` or one positional, not both.
 *
 * @example
 * configFileArg('check', ['rampart.yaml']) // 'rampart.yaml'
 */
export function configFileArg(command: string, args: readonly string[]): string {
  const { values, positionals } = parseCommandArgs(command, args, { config: { type: 'string', short: 'c' } }, 1);
  const flag = values.config;
  const positional = positionals[0];
  if (flag !== undefined && positional !== undefined) {
    throw new UsageError(`${command}: give the config file once, either as --config <file> or as an argument`);
  }
  const file = flag ?? positional;
  if (file === undefined || file === '') throw new UsageError(`${command} needs a config file: ${USAGES[command] ?? `rampart ${command} --config <file>`}`);
  return file;
}
