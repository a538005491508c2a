import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, isRampartError } from '../errors.ts';
import { algorithms, getAlgorithm } from './registry.ts';

describe('algorithm registry', () => {
  test('finds every algorithm under its own name', () => {
    assert.deepEqual(Object.keys(algorithms).sort(), ['fixed-window', 'gcra', 'sliding-window', 'token-bucket']);
    for (const [name, algorithm] of Object.entries(algorithms)) {
      assert.equal(algorithm.name, name);
      assert.equal(getAlgorithm(name), algorithm);
    }
  });

  test('rejects an unknown name with INVALID_ARGUMENT listing the valid ones', () => {
    for (const name of ['leaky-bucket', 'toString', '__proto__', '']) {
      assert.throws(
        () => getAlgorithm(name),
        (err) => isRampartError(err) && err.code === ErrorCode.INVALID_ARGUMENT && err.message.includes('token-bucket'),
      );
    }
  });
});
