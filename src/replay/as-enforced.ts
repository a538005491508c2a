/**
 * Replay decides as if the policy were enforced: a monitored rule's verdict is what an operator wants
 * to see before turning monitor off. The output still says which decisions came from a monitored rule.
 */
import type { PolicyDocument } from '../policy/schema.ts';

/** A policy with monitor mode removed, and what was monitored in the original. */
export interface EnforcedPolicy {
  /** The document with `mode: enforce` and no rule's `monitor` flag. */
  readonly policy: PolicyDocument;
  /** True when a decision by `rule` would have been monitored (not enforced) in the original. */
  readonly monitored: (rule: string) => boolean;
  /** Keys of `state` other than `memory` (stores replay does not use), for the notice. */
  readonly ignoredStores: readonly string[];
}

/**
 * Copies `policy` for replay. The original is not modified.
 *
 * @example
 * const { policy, monitored } = asEnforced(loadPolicyFile('rampart.yaml'));
 * monitored('auth-without-user-agent'); // true in the example shop policy
 */
export function asEnforced(policy: PolicyDocument): EnforcedPolicy {
  const all = policy.mode === 'monitor';
  const names = new Set<string>();
  const rules = policy.rules.map((rule) => {
    if (rule.monitor === true) names.add(rule.name);
    const { monitor: _monitor, ...rest } = rule;
    return rest;
  });
  // Future sections (redis, postgres) land under `state`; replay never touches them.
  const ignoredStores = Object.keys(policy.state).filter((key) => key !== 'memory');
  return {
    // Only the memory section is kept, so the engine never connects to a production store.
    policy: { ...policy, mode: 'enforce', rules, state: { memory: policy.state.memory } },
    monitored: all ? () => true : (rule) => names.has(rule),
    ignoredStores,
  };
}
