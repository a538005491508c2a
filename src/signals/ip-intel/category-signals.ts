/**
 * One signal per IP category, `ip.<category>` (`ip.datacenter`, `ip.tor`, `ip.vpn`, `ip.proxy`, and each
 * list's own category): it fires when IP intelligence puts the client IP in that category, with the
 * weight from `intel.weights` (or the default), so categories add to the request's risk score as
 * graduated evidence rather than only as a block. `signals.ip.<category>.weight` overrides it like any
 * other signal's.
 */
import { DEFAULT_WEIGHTS } from '../../intel/intel.ts';
import type { Intel } from '../../intel/intel.ts';
import type { Signal } from '../types.ts';

/**
 * @example
 * const signals = [...builtinSignals, ...intelCategorySignals(intel)];
 */
export function intelCategorySignals(intel: Intel): Signal[] {
  return intel.categoryNames.map((category) => {
    const bit = intel.categoryBit(category);
    return {
      name: `ip.${category}`,
      weight: intel.config.weights[category] ?? DEFAULT_WEIGHTS[category] ?? 0,
      detect(ctx) {
        const answer = ctx.intel();
        if (answer === null || !answer.has(bit)) return null;
        const m = answer.matches.find((x) => x.category === category);
        return m === undefined ? category : `${category}: ${m.label} (${m.source})`;
      },
    };
  });
}
