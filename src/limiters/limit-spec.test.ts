import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, isRampartError } from '../errors.ts';
import { limitSpec } from './limit-spec.ts';

function rejects(options: Parameters<typeof limitSpec>[0], field: string): void {
  assert.throws(
    () => limitSpec(options),
    (err) => isRampartError(err) && err.code === ErrorCode.INVALID_ARGUMENT && err.message.includes(field),
  );
}

describe('limitSpec', () => {
  test('burst defaults to the limit and the result is frozen', () => {
    const spec = limitSpec({ limit: 5, windowMs: 60_000 });
    assert.deepEqual(spec, { limit: 5, windowMs: 60_000, burst: 5 });
    assert.ok(Object.isFrozen(spec));
    assert.equal(limitSpec({ limit: 5, windowMs: 60_000, burst: 20 }).burst, 20);
  });

  test('rejects limits, windows and bursts that are not whole numbers ≥ 1', () => {
    rejects({ limit: 0, windowMs: 1_000 }, 'limit');
    rejects({ limit: 1.5, windowMs: 1_000 }, 'limit');
    rejects({ limit: Number.NaN, windowMs: 1_000 }, 'limit');
    rejects({ limit: 1, windowMs: 0.5 }, 'windowMs');
    rejects({ limit: 1, windowMs: Number.POSITIVE_INFINITY }, 'windowMs');
    rejects({ limit: 1, windowMs: 1_000, burst: -1 }, 'burst');
  });

  test('rejects a limit so large that the arithmetic would stop being exact', () => {
    rejects({ limit: 2 ** 40, windowMs: 2 ** 20 }, 'windowMs');
    assert.doesNotThrow(() => limitSpec({ limit: 1_000_000, windowMs: 86_400_000 }));
  });
});
