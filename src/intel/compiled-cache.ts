/**
 * Large sources (the ASN table: ~30 MB of CSV, about a second to parse) are also kept in `cache_dir` in
 * their built form: the range set's typed arrays and the labels, stamped with the source files' paths,
 * sizes and modification times. A later start with the same files maps the arrays back in a few
 * milliseconds instead of parsing again; any change to the files makes the stamp differ and the
 * source is parsed (and the compiled copy rewritten). The copy is an optimisation only: any problem
 * reading or writing it falls back to parsing.
 *
 * Layout: `RMPI` magic, uint32 header length, JSON header (padded to 4 bytes), then s4, e4, v4, s6, e6,
 * v6 and the per-value ASNs as raw little-endian arrays.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RangeSet } from './range-set.ts';
import type { SourceData } from './source-data.ts';

/** Sources whose files are smaller than this are parsed every time; they are quick. */
export const COMPILE_MIN_BYTES = 1_048_576;
const MAGIC = 0x49504d52; // 'RMPI'
const VERSION = 1;

interface Header {
  version: number;
  stamp: string;
  entries: number;
  n4: number;
  n6: number;
  asns: number;
  labels: string[];
}

/** What identifies the files' content for the cache: kind, paths, sizes and modification times. */
export function fileStamp(kind: string, files: readonly string[]): { stamp: string; bytes: number } {
  let bytes = 0;
  const parts = files.map((f) => {
    const st = statSync(f);
    bytes += st.size;
    return `${f}:${st.size}:${st.mtimeMs}`;
  });
  return { stamp: `${kind}|${parts.join('|')}`, bytes };
}

function view<T extends Uint32Array | Int32Array>(Type: new (b: ArrayBufferLike, o: number, n: number) => T, buf: Buffer, at: number, n: number): T {
  return new Type(buf.buffer, buf.byteOffset + at, n);
}

/** The compiled copy if it exists and was built from these very files, else null. */
export function readCompiled(path: string, stamp: string): SourceData | null {
  try {
    let buf = readFileSync(path);
    // Typed-array views need 4-byte alignment of the whole buffer.
    if (buf.byteOffset % 4 !== 0) buf = Buffer.from(buf);
    if (buf.readUInt32LE(0) !== MAGIC) return null;
    const headerLength = buf.readUInt32LE(4);
    const header = JSON.parse(buf.toString('utf8', 8, 8 + headerLength)) as Header;
    if (header.version !== VERSION || header.stamp !== stamp) return null;
    let at = 8 + headerLength + ((4 - (headerLength % 4)) % 4);
    const take = <T extends Uint32Array | Int32Array>(Type: new (b: ArrayBufferLike, o: number, n: number) => T, n: number): T => {
      const v = view(Type, buf, at, n);
      at += n * 4;
      return v;
    };
    const s4 = take(Uint32Array, header.n4);
    const e4 = take(Uint32Array, header.n4);
    const v4 = take(Int32Array, header.n4);
    const s6 = take(Uint32Array, header.n6 * 4);
    const e6 = take(Uint32Array, header.n6 * 4);
    const v6 = take(Int32Array, header.n6);
    const asns = header.asns > 0 ? take(Uint32Array, header.asns) : null;
    if (at !== buf.byteLength) return null;
    return { set: new RangeSet(s4, e4, v4, s6, e6, v6), labels: header.labels, asns, entries: header.entries };
  } catch {
    return null;
  }
}

/** Writes the compiled copy (to a temporary name, then renamed: readers never see half a file). */
export function writeCompiled(path: string, stamp: string, data: SourceData): void {
  const arrays = data.set.arrays();
  const header: Header = { version: VERSION, stamp, entries: data.entries, n4: arrays[0].length, n6: arrays[4].length / 4, asns: data.asns?.length ?? 0, labels: [...data.labels] };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (4 - (json.length % 4)) % 4;
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(MAGIC, 0);
  prefix.writeUInt32LE(json.length, 4);
  const parts: Uint8Array[] = [prefix, json, Buffer.alloc(pad)];
  for (const a of arrays) parts.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  if (data.asns !== null) parts.push(new Uint8Array(data.asns.buffer, data.asns.byteOffset, data.asns.byteLength));
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat(parts));
  renameSync(tmp, path);
}
