/**
 * `rampart check <config>`: loads and compiles a policy exactly as `rampart start` and the adapters
 * would, without starting anything. For CI and for editing: every problem at once, with its path.
 */
import { compilePolicy } from '../engine/compile-policy.ts';
import { intelForPolicy } from '../intel/shared-intel.ts';
import { loadPolicyFile } from '../policy/load-policy.ts';
import { builtinSignals } from '../signals/registry.ts';
import { configFileArg, ExitCode } from './args.ts';
import type { Command } from './args.ts';
import { configErrorLines } from './config-report.ts';

/**
 * Prints `ok: <file>: N rules` (exit 0), or every problem as `<file>: <path>: <message>` (exit 1).
 * Environment variables in the file are substituted from `io.env`.
 *
 * @example
 * await checkCommand(['examples/shop/rampart.yaml'], { stdout: process.stdout, stderr: process.stderr, env: process.env }) // 0
 */
export const checkCommand: Command = async (args, io) => {
  const file = configFileArg('check', args);
  let rules: number;
  try {
    const policy = loadPolicyFile(file, { env: io.env });
    rules = compilePolicy(policy, builtinSignals, file, intelForPolicy(policy, file)).rules.length;
  } catch (err) {
    const lines = configErrorLines(file, err);
    if (lines === null) throw err;
    io.stderr.write(`${lines.join('\n')}\n`);
    return ExitCode.FAILURE;
  }
  io.stdout.write(`ok: ${file}: ${rules} rule${rules === 1 ? '' : 's'}\n`);
  return ExitCode.OK;
};
