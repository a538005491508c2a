import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { isTruncatedLine, linesOf, MAX_LINE_LENGTH, readLineBatches, readLines, TRUNCATED_LINE_MARKER } from './read-lines.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-read-lines-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

function chunks(...parts: (string | Buffer)[]): Readable {
  return Readable.from(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
}

describe('readLines', () => {
  it('reads a file line by line, keeping empty lines so indices match the input', async () => {
    const path = join(dir, 'plain.log');
    writeFileSync(path, 'a\n\nb\nc\n');
    assert.deepEqual(await collect(readLines(path)), ['a', '', 'b', 'c']);
  });

  it('yields a last line that has no newline', async () => {
    const path = join(dir, 'no-final-newline.log');
    writeFileSync(path, 'a\nb');
    assert.deepEqual(await collect(readLines(path)), ['a', 'b']);
  });

  it('strips the \\r of CRLF line ends', async () => {
    assert.deepEqual(await collect(linesOf(chunks('a\r\nb\r', '\nc\r\n\r\n'))), ['a', 'b', 'c', '']);
  });

  it('yields nothing for an empty file', async () => {
    const path = join(dir, 'empty.log');
    writeFileSync(path, '');
    assert.deepEqual(await collect(readLines(path)), []);
  });

  it('decompresses a .gz file', async () => {
    const path = join(dir, 'access.log.gz');
    const text = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    writeFileSync(path, gzipSync(text));
    const lines = await collect(readLines(path));
    assert.equal(lines.length, 1000);
    assert.equal(lines[999], 'line 999');
  });

  it('decompresses gzip recognised by its magic bytes whatever the name', async () => {
    const path = join(dir, 'rotated.log.1');
    writeFileSync(path, gzipSync('x\ny\n'));
    assert.deepEqual(await collect(readLines(path)), ['x', 'y']);
  });

  it('reads concatenated gzip members (appended archives) to the end', async () => {
    const path = join(dir, 'two-members.gz');
    writeFileSync(path, Buffer.concat([gzipSync('a\n'), gzipSync('b\n')]));
    assert.deepEqual(await collect(readLines(path)), ['a', 'b']);
  });

  it('reads stdin for "-", compressed or not', async () => {
    assert.deepEqual(await collect(readLines('-', chunks('one\ntw', 'o\n'))), ['one', 'two']);
    const gz = gzipSync('one\ntwo\n');
    assert.deepEqual(await collect(readLines('-', chunks(gz.subarray(0, 5), gz.subarray(5)))), ['one', 'two']);
  });

  it('fails on a .gz file that is not gzip', async () => {
    const path = join(dir, 'fake.gz');
    writeFileSync(path, 'plain text\n');
    await assert.rejects(collect(readLines(path)), /header/);
  });

  it('fails on a missing file with the path in the error', async () => {
    await assert.rejects(collect(readLines(join(dir, 'missing.log'))), (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && err.message.includes('missing.log'));
  });

  it('decodes a UTF-8 character split across chunks', async () => {
    const bytes = Buffer.from('café\nnaïve\n');
    assert.deepEqual(await collect(linesOf(chunks(bytes.subarray(0, 4), bytes.subarray(4, 11), bytes.subarray(11)))), ['café', 'naïve']);
  });

  it('decodes a UTF-8 character that straddles a 64 KiB decode slice inside one large chunk', async () => {
    // Read chunks are decoded in 64 KiB slices (V8's large strings are slow to make); every offset
    // of a 3-byte character around the slice edge must still come out whole.
    for (const shift of [0, 1, 2]) {
      const head = 'a'.repeat(65_536 - 1 - shift);
      const text = `${head}€b\n${'c'.repeat(150_000)}é\nlast`;
      assert.deepEqual(await collect(linesOf(chunks(Buffer.from(text, 'utf8')))), [`${head}€b`, `${'c'.repeat(150_000)}é`, 'last']);
    }
  });

  it('drops a byte-order mark at the start of the input', async () => {
    assert.deepEqual(await collect(linesOf(chunks('\ufeff{"a":1}\n'))), ['{"a":1}']);
  });

  it('cuts a line longer than 1 MiB, marks it, and goes on with the next line', async () => {
    const long = 'x'.repeat(MAX_LINE_LENGTH * 3 + 7);
    const parts: string[] = ['first\n'];
    for (let i = 0; i < long.length; i += 100_000) parts.push(long.slice(i, i + 100_000));
    parts.push('\nlast\n');
    const lines = await collect(linesOf(chunks(...parts)));
    assert.equal(lines.length, 3);
    assert.equal(lines[0], 'first');
    assert.equal(lines[1], 'x'.repeat(MAX_LINE_LENGTH) + TRUNCATED_LINE_MARKER);
    assert.ok(isTruncatedLine(lines[1]!));
    assert.equal(lines[2], 'last');
  });

  it('cuts a too-long line that arrives in one chunk, or ends the input', async () => {
    const long = 'y'.repeat(MAX_LINE_LENGTH + 1);
    assert.deepEqual(await collect(linesOf(chunks(long + '\nz'))), ['y'.repeat(MAX_LINE_LENGTH) + TRUNCATED_LINE_MARKER, 'z']);
    assert.deepEqual(await collect(linesOf(chunks('a\n', long))), ['a', 'y'.repeat(MAX_LINE_LENGTH) + TRUNCATED_LINE_MARKER]);
  });

  it('keeps a line of exactly 1 MiB whole', async () => {
    const exact = 'e'.repeat(MAX_LINE_LENGTH);
    const lines = await collect(linesOf(chunks(exact.slice(0, 1000), exact.slice(1000), '\n')));
    assert.equal(lines[0], exact);
    assert.equal(isTruncatedLine(lines[0]!), false);
  });

  it('gives the same lines in batches through readLineBatches', async () => {
    const path = join(dir, 'batches.log');
    const text = Array.from({ length: 50_000 }, (_, i) => `line ${i}`).join('\r\n');
    writeFileSync(path, text);
    const batches: string[][] = [];
    for await (const batch of readLineBatches(path)) batches.push(batch);
    assert.ok(batches.length > 1);
    assert.deepEqual(batches.flat(), await collect(readLines(path)));
    assert.equal(batches.flat().length, 50_000);
  });

  it('closes the source when the reader stops early', async () => {
    const source = new Readable({ read() { this.push('a\nb\n'); } });
    for await (const line of readLines('-', source)) if (line === 'b') break;
    assert.equal(source.destroyed, true);
  });

  it('yields the same lines however the input is split into chunks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: fc.constantFrom('a', 'é', '\n', '\r', ' ') , maxLength: 40 }), { maxLength: 8 }), fc.array(fc.nat(60), { maxLength: 6 }), async (texts, cuts) => {
        const text = texts.join('');
        const bytes = Buffer.from(text);
        const points = [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((a, b) => a - b);
        const parts: Buffer[] = [];
        let from = 0;
        for (const p of points) {
          parts.push(bytes.subarray(from, p));
          from = p;
        }
        parts.push(bytes.subarray(from));
        const expected = text === '' ? [] : (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n').map((l) => l.replace(/\r$/, ''));
        assert.deepEqual(await collect(linesOf(chunks(...parts.filter((p) => p.length > 0)))), expected);
      }),
    );
  });
});
