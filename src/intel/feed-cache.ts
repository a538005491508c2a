/**
 * The disk cache of fetched feeds: `<cache_dir>/<source>.body` holds the last good copy and
 * `<source>.meta.json` its URL, validators and fetch time. Written to a temporary name and renamed,
 * so a crash mid-write leaves the previous copy.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FeedMeta {
  url: string;
  etag: string | null;
  lastModified: string | null;
  /** Clock ms when the body was fetched. */
  fetchedAt: number;
}

/** The cached copy of a source, or null when there is none (or it is unreadable). */
export function readCachedFeed(dir: string, name: string): { body: Buffer; meta: FeedMeta } | null {
  try {
    const meta = JSON.parse(readFileSync(join(dir, `${name}.meta.json`), 'utf8')) as FeedMeta;
    if (typeof meta.url !== 'string' || typeof meta.fetchedAt !== 'number') return null;
    return { body: readFileSync(join(dir, `${name}.body`)), meta };
  } catch {
    return null;
  }
}

/** Stores a good copy; throws when the directory cannot be written (the caller logs and counts it). */
export function writeCachedFeed(dir: string, name: string, body: Buffer, meta: FeedMeta): void {
  mkdirSync(dir, { recursive: true });
  const bodyPath = join(dir, `${name}.body`);
  const metaPath = join(dir, `${name}.meta.json`);
  writeFileSync(`${bodyPath}.tmp`, body);
  renameSync(`${bodyPath}.tmp`, bodyPath);
  writeFileSync(`${metaPath}.tmp`, `${JSON.stringify(meta)}\n`);
  renameSync(`${metaPath}.tmp`, metaPath);
}

/** Updates only the validators and time (a 304 answer: the body is unchanged). */
export function touchCachedFeed(dir: string, name: string, meta: FeedMeta): void {
  mkdirSync(dir, { recursive: true });
  const metaPath = join(dir, `${name}.meta.json`);
  writeFileSync(`${metaPath}.tmp`, `${JSON.stringify(meta)}\n`);
  renameSync(`${metaPath}.tmp`, metaPath);
}
