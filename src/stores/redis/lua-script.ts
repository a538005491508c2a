/**
 * A Lua script with its SHA-1 worked out once, so the store can send EVALSHA (the digest only) and
 * fall back to EVAL of the text when Redis answers NOSCRIPT.
 */
import { createHash } from 'node:crypto';

export interface LuaScript {
  readonly text: string;
  /** SHA-1 of `text` in hex, as Redis names a loaded script. */
  readonly sha: string;
}

/** @example const LIMITS = luaScript(LIMITS_SCRIPT); client.evalsha(LIMITS.sha, 1, key); */
export function luaScript(text: string): LuaScript {
  return { text, sha: createHash('sha1').update(text).digest('hex') };
}
