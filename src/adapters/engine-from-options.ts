/**
 * What every adapter accepts to get an engine: an engine you built, a policy document, or a policy file.
 */
import { createEngine } from '../engine/engine.ts';
import type { Engine, EngineOptions } from '../engine/engine.ts';
import type { Decision } from '../engine/decision.ts';
import { ErrorCode, RampartError } from '../errors.ts';
import { acquireRefresh } from '../intel/shared-intel.ts';
import { loadPolicyFile } from '../policy/load-policy.ts';
import type { PolicyDocument } from '../policy/schema.ts';

export interface AdapterOptions extends Partial<Omit<EngineOptions, 'policy'>> {
  /** An engine shared with other front doors. */
  engine?: Engine;
  /** A policy document, or the path of a policy file. Used when `engine` is not given. */
  policy?: PolicyDocument | string;
  /** Called with every decision (for logging or metrics). Must not throw. */
  onDecision?: (decision: Decision) => void;
  /** Largest JSON body read when a rule needs a body field (node adapter only). Default 64 KiB. */
  maxBodyBytes?: number;
}

/** Builds or returns the engine; throws RampartError when neither `engine` nor `policy` is given. */
export function engineFromOptions(options: AdapterOptions): Engine {
  if (options.engine !== undefined) return options.engine;
  if (options.policy === undefined) {
    throw new RampartError(ErrorCode.INVALID_ARGUMENT, 'rampart: give `engine` or `policy` (a policy document or the path of a policy file)');
  }
  const policy = typeof options.policy === 'string' ? loadPolicyFile(options.policy) : options.policy;
  const engineOptions: EngineOptions = { policy };
  if (options.store !== undefined) engineOptions.store = options.store;
  if (options.clock !== undefined) engineOptions.clock = options.clock;
  if (options.logger !== undefined) engineOptions.logger = options.logger;
  if (options.signals !== undefined) engineOptions.signals = options.signals;
  if (options.intel !== undefined) engineOptions.intel = options.intel;
  if (typeof options.policy === 'string') engineOptions.source = options.policy;
  const engine = createEngine(engineOptions);
  // URL intel sources refresh in the background for the life of the process (the timers are unref'd).
  if (engine.intel !== null) acquireRefresh(engine.intel);
  engine.warnIfUnsharedSecret();
  return engine;
}
