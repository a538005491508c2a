/**
 * One Intel per process for each distinct `intel` section: the ASN table is parsed once and shared by
 * every engine, reload and front door that asks for the same configuration. Policies that use no
 * intelligence never load any.
 */
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { isRampartError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { invalidConfig } from '../policy/load-policy.ts';
import type { ConditionInput, PolicyDocument } from '../policy/schema.ts';
import { Intel } from './intel.ts';
import { startRefresh } from './feed-refresh.ts';
import type { RefreshOptions, Refresher } from './feed-refresh.ts';

const INTEL_CONDITIONS = ['ip.category', 'ip.asn', 'ip.org', 'ip.country'] as const;

function conditionUsesIntel(c: ConditionInput): boolean {
  if (INTEL_CONDITIONS.some((k) => k in c)) return true;
  if ('any' in c) return c.any.some(conditionUsesIntel);
  if ('all' in c) return c.all.some(conditionUsesIntel);
  if ('not' in c) return conditionUsesIntel(c.not);
  return false;
}

/** True when the policy has an `intel` section or a rule reads IP intelligence (conditions, `asn` key). */
export function policyUsesIntel(policy: PolicyDocument): boolean {
  if (policy.intel !== undefined) return true;
  return policy.rules.some((r) => (r.when ?? []).some(conditionUsesIntel) || (Array.isArray(r.key) ? r.key : [r.key]).includes('asn'));
}

/** Relative intel paths are relative to the policy file; documents without one use the working directory. */
export function intelBaseDir(source: string | undefined): string {
  return source !== undefined && source !== 'policy' && existsSync(source) ? dirname(resolve(source)) : process.cwd();
}

const MAX_SHARED = 8;
const shared = new Map<string, Intel>();

/**
 * The process's Intel for this configuration and base directory, built on first use.
 *
 * @throws RampartError INVALID_CONFIG when a local source is missing or broken.
 * @example
 * const intel = sharedIntel(policy.intel!, intelBaseDir('rampart.yaml'), logger);
 */
export function sharedIntel(config: NonNullable<PolicyDocument['intel']>, baseDir: string, logger?: Logger): Intel {
  const id = `${baseDir}\u0000${JSON.stringify(config)}`;
  let intel = shared.get(id);
  if (intel === undefined) {
    intel = new Intel(config, { baseDir, ...(logger === undefined ? {} : { logger }) });
    // Configurations replaced by reloads are dropped oldest first; engines still using one keep it alive.
    if (shared.size >= MAX_SHARED) shared.delete(shared.keys().next().value!);
    shared.set(id, intel);
  }
  return intel;
}

/**
 * The intel a policy needs: null when it uses none (nothing is loaded), else the shared instance.
 *
 * @throws RampartError INVALID_CONFIG naming the file and each source's problem.
 * @example
 * const intel = intelForPolicy(policy, 'rampart.yaml');
 */
export function intelForPolicy(policy: PolicyDocument, source: string, logger?: Logger): Intel | null {
  if (!policyUsesIntel(policy) || policy.intel === undefined) return null;
  try {
    return sharedIntel(policy.intel, intelBaseDir(source), logger);
  } catch (err) {
    if (isRampartError(err) && err.issues.length > 0) throw invalidConfig(source, err.issues);
    throw err;
  }
}

const refreshers = new Map<Intel, { refresher: Refresher; users: number }>();

/**
 * Starts refreshing the intel's `url` sources, once however many front doors ask; `release` stops it
 * when the last one lets go.
 *
 * @example
 * const release = acquireRefresh(engine.intel!);
 * // … at shutdown: release();
 */
export function acquireRefresh(intel: Intel, options: RefreshOptions = {}): { firstRound: Promise<void>; release(): void } {
  let entry = refreshers.get(intel);
  if (entry === undefined) {
    entry = { refresher: startRefresh(intel, options), users: 0 };
    refreshers.set(intel, entry);
  }
  entry.users++;
  const e = entry;
  let released = false;
  return {
    firstRound: e.refresher.firstRound,
    release() {
      if (released) return;
      released = true;
      if (--e.users === 0) {
        e.refresher.stop();
        refreshers.delete(intel);
      }
    },
  };
}
