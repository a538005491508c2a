/**
 * Tells a JSON-lines request log from an nginx access log by its first lines, for
 * `rampart replay --format auto`.
 */

/** Non-empty lines looked at; more would only delay the first output line. */
export const DETECT_LINES = 20;

/**
 * `'jsonl'` when most of the first {@link DETECT_LINES} non-empty lines start with `{` (after
 * leading blanks), else `'nginx'`. A majority rather than the first line, so that one stray line
 * (a junk first line, a truncated record) does not decide the whole run; a tie, or no non-empty
 * line at all, gives `'jsonl'`, the format Rampart itself writes.
 *
 * @example
 * detectFormat(['{"ts":1,"ip":"203.0.113.7","method":"GET","url":"/"}']) // 'jsonl'
 * detectFormat(['203.0.113.7 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8"']) // 'nginx'
 */
export function detectFormat(lines: readonly string[]): 'jsonl' | 'nginx' {
  let json = 0;
  let other = 0;
  for (const line of lines) {
    const start = firstNonBlank(line);
    if (start === -1) continue;
    if (line.charCodeAt(start) === 123) json++;
    else other++;
    if (json + other === DETECT_LINES) break;
  }
  return other > json ? 'nginx' : 'jsonl';
}

function firstNonBlank(line: string): number {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    // Blanks, and the byte-order mark of a file saved by a Windows editor.
    if (c !== 32 && c !== 9 && c !== 13 && c !== 0xfeff) return i;
  }
  return -1;
}
