/**
 * `rampart version` / `rampart --version`: the installed package's version.
 */
import { readFileSync } from 'node:fs';
import { ExitCode, parseCommandArgs } from './args.ts';
import type { Command } from './args.ts';

/**
 * The version in package.json. Both `src/cli/` and `dist/cli/` sit two levels below the package
 * root, so one relative URL works from a clone and from an install.
 *
 * @example
 * packageVersion() // '0.1.0'
 */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/**
 * Prints the version alone on a line, for scripts.
 *
 * @example
 * // rampart --version  →  0.1.0
 */
export const versionCommand: Command = async (args, io) => {
  parseCommandArgs('version', args, {}, 0);
  io.stdout.write(`${packageVersion()}\n`);
  return ExitCode.OK;
};
