import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCode, isRampartError } from '../errors.ts';
import { watchConfig } from './config-watcher.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-watch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves on the next call of the returned callback. */
function nextCall(): { callback: () => void; called: Promise<void>; count: () => number } {
  let n = 0;
  let resolve: () => void = () => {};
  const called = new Promise<void>((r) => (resolve = r));
  return { callback: () => (n++, resolve()), called, count: () => n };
}

describe('config watcher', { timeout: 30_000 }, () => {
  it('calls back when the file is written', async () => {
    const file = join(dir, 'a.yaml');
    writeFileSync(file, 'rules: []\n');
    const { callback, called, count } = nextCall();
    const watcher = watchConfig(file, callback, { debounceMs: 50 });
    try {
      writeFileSync(join(dir, 'other.yaml'), 'not ours');
      writeFileSync(file, 'rules: []\n# 1\n');
      await called;
      assert.ok(count() >= 1);
    } finally {
      watcher.close();
    }
  });

  it('keeps following the file after an editor replaces it by rename', async () => {
    const file = join(dir, 'b.yaml');
    writeFileSync(file, 'rules: []\n');
    let calls = 0;
    let wake: () => void = () => {};
    const nextCallback = () => new Promise<void>((resolve) => (wake = resolve));
    const watcher = watchConfig(file, () => (calls++, wake()), { debounceMs: 20 });
    try {
      let called = nextCallback();
      writeFileSync(`${file}.tmp`, 'rules: []\n# new\n');
      renameSync(`${file}.tmp`, file);
      await called;
      // The same watch sees a write to the new file (a watch on the old inode would not).
      called = nextCallback();
      writeFileSync(file, 'rules: []\n# again\n');
      await called;
      assert.ok(calls >= 2);
    } finally {
      watcher.close();
    }
  });

  it('does not call back after close()', async () => {
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'x');
    let calls = 0;
    const watcher = watchConfig(file, () => calls++, { debounceMs: 0 });
    watcher.close();
    writeFileSync(file, 'y');
    // A second, open watcher on the same file sees the next write; the closed one must stay silent.
    const probe = nextCall();
    const open = watchConfig(file, probe.callback, { debounceMs: 0 });
    writeFileSync(file, 'z');
    await probe.called;
    open.close();
    assert.equal(calls, 0);
  });

  it('reports errors thrown by the callback instead of crashing', async () => {
    const file = join(dir, 'd.yaml');
    writeFileSync(file, 'x');
    const reported = new Promise<Error>((resolve) => {
      const watcher = watchConfig(file, () => { throw new Error('reload blew up'); }, { debounceMs: 0, onError: (err) => { watcher.close(); resolve(err); } });
    });
    writeFileSync(file, 'y');
    assert.equal((await reported).message, 'reload blew up');
  });

  it('rejects a negative debounce and an unwatchable directory', () => {
    assert.throws(() => watchConfig(join(dir, 'e.yaml'), () => {}, { debounceMs: -1 }), (err: unknown) => isRampartError(err) && err.code === ErrorCode.INVALID_ARGUMENT);
    assert.throws(() => watchConfig(join(dir, 'missing-dir', 'f.yaml'), () => {}), (err: unknown) => isRampartError(err) && err.code === ErrorCode.CONFIG_READ);
  });
});
