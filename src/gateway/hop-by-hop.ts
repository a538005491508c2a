/**
 * Hop-by-hop header fields (RFC 9110 §7.6.1): they describe one connection, so a proxy never passes
 * them on. The fixed list is `Connection`, `Keep-Alive`, `Proxy-Connection`, `TE`, `Trailer`,
 * `Transfer-Encoding` and `Upgrade`; every field a `Connection` header names is hop-by-hop too.
 *
 * Names are classified without lower-casing them: a length switch first, then a case-insensitive
 * compare, so the per-header cost on the proxy path is a few integer comparisons and no allocation.
 */

/** How the proxy treats one header field name. */
export const HeaderKind = {
  /** End to end: passed on. */
  PASS: 0,
  /** Hop-by-hop: dropped. */
  HOP: 1,
  /** `Connection`: dropped, and the fields it names are dropped too. */
  CONNECTION: 2,
  HOST: 3,
  X_FORWARDED_FOR: 4,
  X_FORWARDED_PROTO: 5,
  X_FORWARDED_HOST: 6,
  /** `Expect`: Node has already answered `100-continue`; undici refuses to send it. */
  EXPECT: 7,
} as const;
export type HeaderKind = (typeof HeaderKind)[keyof typeof HeaderKind];

/**
 * True when `name` equals `lower` (an all-lower-case ASCII name) ignoring case. OR-ing 0x20 maps
 * `A`–`Z` onto `a`–`z` and leaves `a`–`z`, `-` and digits alone; no other token character lands on
 * a lower-case letter, so the comparison is exact for header names.
 */
export function equalsLower(name: string, lower: string): boolean {
  const n = lower.length;
  if (name.length !== n) return false;
  for (let i = 0; i < n; i++) if ((name.charCodeAt(i) | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

/**
 * Classifies a header field name.
 *
 * @example
 * headerKind('Transfer-Encoding') // HeaderKind.HOP
 * headerKind('X-Forwarded-For')   // HeaderKind.X_FORWARDED_FOR
 * headerKind('User-Agent')        // HeaderKind.PASS
 */
export function headerKind(name: string): HeaderKind {
  switch (name.length) {
    case 2:
      return equalsLower(name, 'te') ? HeaderKind.HOP : HeaderKind.PASS;
    case 4:
      return equalsLower(name, 'host') ? HeaderKind.HOST : HeaderKind.PASS;
    case 6:
      return equalsLower(name, 'expect') ? HeaderKind.EXPECT : HeaderKind.PASS;
    case 7:
      return equalsLower(name, 'upgrade') || equalsLower(name, 'trailer') ? HeaderKind.HOP : HeaderKind.PASS;
    case 10:
      if (equalsLower(name, 'connection')) return HeaderKind.CONNECTION;
      return equalsLower(name, 'keep-alive') ? HeaderKind.HOP : HeaderKind.PASS;
    case 15:
      return equalsLower(name, 'x-forwarded-for') ? HeaderKind.X_FORWARDED_FOR : HeaderKind.PASS;
    case 16:
      if (equalsLower(name, 'proxy-connection')) return HeaderKind.HOP;
      return equalsLower(name, 'x-forwarded-host') ? HeaderKind.X_FORWARDED_HOST : HeaderKind.PASS;
    case 17:
      if (equalsLower(name, 'transfer-encoding')) return HeaderKind.HOP;
      return equalsLower(name, 'x-forwarded-proto') ? HeaderKind.X_FORWARDED_PROTO : HeaderKind.PASS;
    default:
      return HeaderKind.PASS;
  }
}

/**
 * The field names a `Connection` value lists beyond `keep-alive` and `close` (whose fields are
 * dropped anyway), lower-cased; null when there are none, which is nearly always.
 *
 * @example
 * connectionOptions('keep-alive')        // null
 * connectionOptions('close, X-Trace-Id') // ['x-trace-id']
 */
export function connectionOptions(value: string): string[] | null {
  if (equalsLower(value, 'keep-alive') || equalsLower(value, 'close')) return null;
  let out: string[] | null = null;
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'keep-alive' || name === 'close') continue;
    (out ??= []).push(name);
  }
  return out;
}

/**
 * Removes, in place, every field of a flat `[name, value, …]` list whose name is in `names`
 * (lower-case). For the rare message whose `Connection` header names extra fields.
 */
export function removeNamed(list: string[], names: readonly string[]): void {
  let w = 0;
  for (let r = 0; r < list.length; r += 2) {
    if (names.includes(list[r]!.toLowerCase())) continue;
    list[w++] = list[r]!;
    list[w++] = list[r + 1]!;
  }
  list.length = w;
}

/**
 * The response fields to send to the client: undici's raw `[name, value, …]` buffers as latin1
 * strings (the bytes the upstream sent, as Node writes them back), hop-by-hop fields removed.
 * Repeated fields (`Set-Cookie`) stay separate.
 *
 * @example
 * responseHeaders([Buffer.from('Connection'), Buffer.from('keep-alive'), Buffer.from('ETag'), Buffer.from('"x"')])
 * // ['ETag', '"x"']
 */
export function responseHeaders(raw: readonly Buffer[]): string[] {
  const out: string[] = [];
  let extra: string[] | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const kind = headerKind(name);
    if (kind === HeaderKind.HOP) continue;
    if (kind === HeaderKind.CONNECTION) {
      const named = connectionOptions(raw[i + 1]!.toString('latin1'));
      if (named !== null) (extra ??= []).push(...named);
      continue;
    }
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  if (extra !== null) removeNamed(out, extra);
  return out;
}
