/**
 * Keeps `url` sources fresh: each is re-fetched on its interval with `If-None-Match` /
 * `If-Modified-Since`, parsed in full, and only then swapped in and written to the disk cache. A failed
 * fetch, an error status, a body that is cut short or does not parse all leave the last good copy in
 * use: they are logged and counted, never fatal.
 */
import { join } from 'node:path';
import type { Intel, SourceState } from './intel.ts';
import { touchCachedFeed, writeCachedFeed } from './feed-cache.ts';
import { parseSource } from './source-kinds.ts';

/** Timers, injectable so that tests drive refreshes without waiting. */
export interface RefreshTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RefreshOptions {
  /** Default: the global fetch (undici). */
  fetch?: typeof fetch;
  timers?: RefreshTimers;
  /** Per fetch, headers and body. Default 60 s. */
  timeoutMs?: number;
  /** Largest body accepted. Default 256 MiB. */
  maxBytes?: number;
}

export type RefreshResult = 'refreshed' | 'not-modified' | 'failed';

const realTimers: RefreshTimers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

async function readCapped(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw new Error(`body of ${declared} bytes is over the ${maxBytes}-byte limit`);
  if (response.body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new Error(`body is over the ${maxBytes}-byte limit`);
    chunks.push(chunk);
  }
  // undici already fails a body shorter than its Content-Length; this covers a proxy that dropped it.
  if (Number.isFinite(declared) && total !== declared) throw new Error(`body cut short: ${total} of ${declared} bytes`);
  return Buffer.concat(chunks);
}

/**
 * Fetches one `url` source once. Never throws.
 *
 * @example
 * await refreshSource(intel, intel.sources[0]!); // 'refreshed' | 'not-modified' | 'failed'
 */
export async function refreshSource(intel: Intel, state: SourceState, options: RefreshOptions = {}): Promise<RefreshResult> {
  const url = state.url;
  if (url === null) return 'not-modified';
  const doFetch = options.fetch ?? fetch;
  const startedAt = intel.clock.now();
  state.lastAttempt = startedAt;
  try {
    const headers: Record<string, string> = {};
    // Validators only mean something for the copy we hold.
    if (state.data !== null || state.mmdb !== null) {
      if (state.etag !== null) headers['if-none-match'] = state.etag;
      if (state.lastModified !== null) headers['if-modified-since'] = state.lastModified;
    }
    const response = await doFetch(url, { headers, signal: AbortSignal.timeout(options.timeoutMs ?? 60_000), redirect: 'follow' });
    const meta = { url, etag: response.headers.get('etag'), lastModified: response.headers.get('last-modified'), fetchedAt: startedAt };
    if (response.status === 304) {
      await response.body?.cancel();
      state.notModified++;
      state.lastError = null;
      state.loadedAt = startedAt;
      state.etag = meta.etag ?? state.etag;
      state.lastModified = meta.lastModified ?? state.lastModified;
      touchCachedFeed(intel.cacheDir, state.name, { ...meta, etag: state.etag, lastModified: state.lastModified });
      return 'not-modified';
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    const body = await readCapped(response, options.maxBytes ?? 268_435_456);
    if (body.byteLength === 0) throw new Error('empty body');
    const parsed = parseSource(state.kind, state.name, [body]);
    if (parsed.ranges !== null && parsed.ranges.entries === 0) throw new Error('no entries in the body');
    intel.install(state, parsed, url, startedAt);
    state.etag = meta.etag;
    state.lastModified = meta.lastModified;
    state.refreshed++;
    state.lastError = null;
    try {
      writeCachedFeed(intel.cacheDir, state.name, body, meta);
    } catch (err) {
      intel.logger.warn({ source: state.name, dir: intel.cacheDir, err: (err as Error).message }, 'intel: refreshed, but the disk cache could not be written');
    }
    intel.logger.info({ source: state.name, url, entries: parsed.ranges?.entries ?? parsed.mmdb?.nodes }, 'intel source refreshed');
    return 'refreshed';
  } catch (err) {
    state.failed++;
    state.lastError = (err as Error).message;
    intel.logger.warn({ source: state.name, url, err: state.lastError, using: state.loadedAt === null ? 'nothing yet' : 'the last good copy' }, 'intel refresh failed');
    return 'failed';
  }
}

/** Refreshes every `url` source once, together. */
export async function refreshAll(intel: Intel, options: RefreshOptions = {}): Promise<Map<string, RefreshResult>> {
  const out = new Map<string, RefreshResult>();
  await Promise.all(intel.sources.filter((s) => s.url !== null).map(async (s) => out.set(s.name, await refreshSource(intel, s, options))));
  return out;
}

/** A running refresh schedule. */
export interface Refresher {
  /** Resolves when the first round (sources with no copy, or a stale one) has finished. */
  readonly firstRound: Promise<void>;
  stop(): void;
}

/**
 * Schedules every `url` source: fetched at once when it has no copy or its copy is older than its
 * interval, otherwise when the copy comes of age; then every interval. A failure retries after a
 * tenth of the interval (at least a minute, at most the interval).
 *
 * @example
 * const refresher = startRefresh(intel);
 * // … at shutdown:
 * refresher.stop();
 */
export function startRefresh(intel: Intel, options: RefreshOptions = {}): Refresher {
  const timers = options.timers ?? realTimers;
  const handles = new Map<string, unknown>();
  let stopped = false;
  const first: Promise<void>[] = [];

  const schedule = (state: SourceState, delay: number): void => {
    if (stopped) return;
    handles.set(
      state.name,
      timers.setTimeout(() => void run(state), Math.max(0, delay)),
    );
  };
  const run = async (state: SourceState): Promise<void> => {
    const result = await refreshSource(intel, state, options);
    const retry = Math.min(state.refreshMs, Math.max(60_000, state.refreshMs / 10));
    schedule(state, result === 'failed' ? retry : state.refreshMs);
  };

  for (const state of intel.sources) {
    if (state.url === null) continue;
    const age = state.loadedAt === null ? Infinity : intel.clock.now() - state.loadedAt;
    if (age >= state.refreshMs) first.push(run(state));
    else schedule(state, state.refreshMs - age);
  }
  intel.logger.debug({ sources: [...intel.sources].filter((s) => s.url !== null).map((s) => s.name), cache: join(intel.cacheDir) }, 'intel refresh started');
  return {
    firstRound: Promise.all(first).then(() => undefined),
    stop() {
      stopped = true;
      for (const h of handles.values()) timers.clearTimeout(h);
      handles.clear();
    },
  };
}
