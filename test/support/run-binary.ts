// Runs bin/rampart.js as a child process, the way a user would, and collects what it printed.
// Killed after 20 s so that a hang fails the test instead of blocking the run.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'rampart.js');

export interface BinaryRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `env` is added to the environment (without RAMPART_DEBUG, so stack traces never leak in); `stdin` is written and closed. */
export function runBinary(args: readonly string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<BinaryRun> {
  return new Promise((resolve, reject) => {
    const { RAMPART_DEBUG: _ignored, ...inherited } = process.env;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...inherited, ...options.env }, timeout: 20_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
  });
}
