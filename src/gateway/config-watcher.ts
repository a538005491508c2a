/**
 * Watches the policy file for changes, for hot reload.
 *
 * The directory is watched, not the file: editors and deploy tools save by writing a new file and
 * renaming it over the old one, after which a watch on the old file (its inode) would see nothing
 * ever again. Events are filtered by the file's name and debounced, because one save produces
 * several events (truncate, write, rename).
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ErrorCode, RampartError } from '../errors.ts';

export interface WatchOptions {
  /** Quiet time after the last event before `onChange` runs. Default 200 ms. */
  debounceMs?: number;
  /** Told when the watch fails (the directory was removed…) or `onChange` throws. Default: ignored. */
  onError?: (err: Error) => void;
}

export interface ConfigWatcher {
  /** Stops watching; a pending debounced call is dropped. */
  close(): void;
}

/**
 * Calls `onChange` (debounced) whenever `file` is written, replaced or renamed into place.
 *
 * @throws RampartError `RAMPART_ERR_INVALID_ARGUMENT` for a negative debounce,
 *   `RAMPART_ERR_CONFIG_READ` when the file's directory cannot be watched.
 * @example
 * const watcher = watchConfig('rampart.yaml', () => void running.reload());
 * // later
 * watcher.close();
 */
export function watchConfig(file: string, onChange: () => void, options: WatchOptions = {}): ConfigWatcher {
  const debounceMs = options.debounceMs ?? 200;
  if (!Number.isFinite(debounceMs) || debounceMs < 0) {
    throw new RampartError(ErrorCode.INVALID_ARGUMENT, `debounceMs must be a number ≥ 0; got ${String(debounceMs)}`);
  }
  const onError = options.onError ?? (() => {});
  const path = resolve(file);
  const name = basename(path);
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const fire = (): void => {
    timer = null;
    if (closed) return;
    try {
      onChange();
    } catch (err) {
      onError(err instanceof Error ? err : new Error(String(err)));
    }
  };

  let watcher: FSWatcher;
  try {
    // Not persistent: watching a file must not keep the process alive on its own.
    watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
      // Some platforms report no name; then any event in the directory may be ours.
      if (changed !== null && changed !== name) return;
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(fire, debounceMs);
    });
  } catch (err) {
    throw new RampartError(ErrorCode.CONFIG_READ, `cannot watch ${file} for changes: ${(err as Error).message}`, { cause: err });
  }
  watcher.on('error', (err: Error) => onError(err));

  return {
    close() {
      if (closed) return;
      closed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      watcher.close();
    },
  };
}
