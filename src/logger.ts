/**
 * The one logger interface Rampart writes to. pino satisfies it; so does any object with these
 * four methods. Library code never uses `console`, and never puts a secret in a log line.
 */
import { pino } from 'pino';

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

let fallback: Logger | null = null;

/** The default: pino at level `info` (monitor-mode findings are info), JSON lines on stderr. `RAMPART_LOG_LEVEL` overrides. */
export function defaultLogger(): Logger {
  fallback ??= pino({ level: process.env['RAMPART_LOG_LEVEL'] ?? 'info', base: { name: 'rampart' } }, pino.destination({ fd: 2, sync: true }));
  return fallback;
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
