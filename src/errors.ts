/**
 * Every error Rampart raises carries a stable `code` (listed in docs/errors.md) and a brand,
 * so `isRampartError` works across duplicate installs where `instanceof` would not.
 */
const BRAND = Symbol.for('rampart.error');

export const ErrorCode = {
  /** The policy file failed validation; `issues` lists every problem with its path. */
  INVALID_CONFIG: 'RAMPART_ERR_INVALID_CONFIG',
  /** The policy file could not be read or parsed (YAML/JSON syntax). */
  CONFIG_READ: 'RAMPART_ERR_CONFIG_READ',
  /** A value given to a constructor or factory is out of range or of the wrong type. */
  INVALID_ARGUMENT: 'RAMPART_ERR_INVALID_ARGUMENT',
  /** The hot-state store failed (timeout, connection lost, script error). */
  STORE: 'RAMPART_ERR_STORE',
  /** A signal threw while computing its finding. */
  SIGNAL: 'RAMPART_ERR_SIGNAL',
  /** Unexpected failure inside the engine while deciding; the decision fails open or closed. */
  INTERNAL: 'RAMPART_ERR_INTERNAL',
  /** A listener could not bind its address (port in use, permission denied). */
  LISTEN: 'RAMPART_ERR_LISTEN',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One validation problem in a policy file. */
export interface ConfigIssue {
  /** Where, e.g. `rules[3].limit.rate`. Empty string for the document root. */
  path: string;
  /** What is wrong and how to fix it. */
  message: string;
}

/**
 * The base error. Compare `err.code` against {@link ErrorCode}, never the message.
 *
 * @example
 * try { loadPolicy(text) } catch (err) {
 *   if (isRampartError(err) && err.code === ErrorCode.INVALID_CONFIG) console.error(err.issues)
 * }
 */
export class RampartError extends Error {
  readonly code: ErrorCode;
  readonly issues: readonly ConfigIssue[];
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; issues?: readonly ConfigIssue[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RampartError';
    this.code = code;
    this.issues = options?.issues ?? [];
  }
}

/** True for any error created by any copy of Rampart. */
export function isRampartError(value: unknown): value is RampartError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Wraps anything thrown (including non-Error values) into a RampartError with the given code. */
export function toRampartError(code: ErrorCode, thrown: unknown): RampartError {
  if (isRampartError(thrown)) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new RampartError(code, message, { cause: thrown });
}
