/**
 * Algorithms by name, so a policy can say `algorithm: gcra` and get the implementation.
 */
import { ErrorCode, RampartError } from '../errors.ts';
import { fixedWindow } from './fixed-window.ts';
import { gcra } from './gcra.ts';
import { slidingWindow } from './sliding-window.ts';
import { tokenBucket } from './token-bucket.ts';
import type { Algorithm, AlgorithmName } from './types.ts';

/**
 * Every algorithm, keyed by its name.
 *
 * @example
 * for (const name of Object.keys(algorithms)) console.log(name); // fixed-window, sliding-window, …
 */
export const algorithms: Readonly<Record<AlgorithmName, Algorithm>> = Object.freeze({
  'fixed-window': fixedWindow,
  'sliding-window': slidingWindow,
  'token-bucket': tokenBucket,
  gcra,
});

/**
 * The algorithm called `name`; throws `RAMPART_ERR_INVALID_ARGUMENT` listing the valid names otherwise.
 * Call it at policy load, not per request.
 *
 * @example
 * const algorithm = getAlgorithm('token-bucket');
 */
export function getAlgorithm(name: string): Algorithm {
  if (Object.hasOwn(algorithms, name)) return algorithms[name as AlgorithmName];
  throw new RampartError(
    ErrorCode.INVALID_ARGUMENT,
    `unknown rate-limit algorithm ${JSON.stringify(name)}: use one of ${Object.keys(algorithms).join(', ')}`,
  );
}
