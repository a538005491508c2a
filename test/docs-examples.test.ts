// Every policy example in docs/config.md and docs/errors.md goes through the real loader and
// compiler (parsePolicy → createEngine), so the reference cannot drift from the code.
//
// Conventions in the Markdown, each an HTML comment on its own line before a fenced block:
//   ```yaml                     a policy: it must load.
//   <!-- check: policy -->      the next ```json block is a policy too (loaded as rampart.json).
//   <!-- check: error -->       the next block must fail to load, and the ```text block right after
//                               it must equal the error's message.
//   <!-- check: env {"A":"b"} --> environment variables for the next example (default: none).
//   <!-- check: source f.yaml --> source name for the next example (default rampart.yaml, or
//                               rampart.json for a ```json block).
//   <!-- check: skip -->        the next block is not checked.
// Other fenced blocks (ts, text, json output) are not checked.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createEngine } from '../src/engine/engine.ts';
import { isRampartError } from '../src/errors.ts';
import { silentLogger } from '../src/logger.ts';
import { parsePolicy } from '../src/policy/load-policy.ts';

interface Example {
  /** `config.md:123`, the line of the opening fence. */
  readonly where: string;
  readonly heading: string;
  readonly text: string;
  readonly source: string;
  readonly env: Readonly<Record<string, string>>;
  /** For an error example: the message the following ```text block shows, or null when it is missing. */
  readonly expectedError: string | null | undefined;
}

const DIRECTIVE = /^<!-- check: (\w+)(?: (.*))? -->$/;
const FENCE = /^```(\w*)\s*$/;

/** The examples of one Markdown file, in order. */
function examplesOf(file: string, markdown: string): Example[] {
  const lines = markdown.split('\n');
  const examples: Example[] = [];
  let heading = '(top)';
  let directive: string | null = null;
  let env: Record<string, string> = {};
  let source: string | null = null;
  // Fenced blocks are read whole, so a `#` comment inside one is never taken for a heading.
  const blockAt = (start: number): { lang: string; text: string; end: number } | null => {
    const fence = FENCE.exec(lines[start]!);
    if (fence === null) return null;
    let end = start + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    return { lang: fence[1]!, text: lines.slice(start + 1, end).join('\n') + '\n', end };
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const d = DIRECTIVE.exec(line);
    if (d !== null) {
      if (d[1] === 'env') env = JSON.parse(d[2]!) as Record<string, string>;
      else if (d[1] === 'source') source = d[2]!;
      else directive = d[1]!;
      continue;
    }
    const h = /^#{1,6} (.+)$/.exec(line);
    if (h !== null) {
      heading = h[1]!;
      continue;
    }
    const block = blockAt(i);
    if (block === null) continue;
    const isPolicy = block.lang === 'yaml' || (block.lang === 'json' && directive === 'policy') || directive === 'error';
    if (isPolicy && directive !== 'skip') {
      let expectedError: string | null | undefined;
      if (directive === 'error') {
        // Only prose may stand between the example and its message.
        let next = block.end + 1;
        while (next < lines.length && !/^(```|<!--|#)/.test(lines[next]!)) next++;
        const following = next < lines.length ? blockAt(next) : null;
        expectedError = following?.lang === 'text' ? following.text : null;
      }
      const defaultSource = block.lang === 'json' ? 'rampart.json' : 'rampart.yaml';
      examples.push({ where: `${file}:${i + 1}`, heading, text: block.text, source: source ?? defaultSource, env, expectedError });
    }
    directive = null;
    env = {};
    source = null;
    i = block.end;
  }
  return examples;
}

/** Loads a policy the way an application does; resolves to the RampartError it fails with, or null. */
async function load(example: Example): Promise<Error | null> {
  try {
    const policy = parsePolicy(example.text, { env: example.env, source: example.source });
    await createEngine({ policy, logger: silentLogger, source: example.source }).close();
    return null;
  } catch (err) {
    if (!isRampartError(err)) throw err;
    return err;
  }
}

for (const file of ['config.md', 'errors.md', 'detection.md']) {
  const markdown = readFileSync(new URL(`../docs/${file}`, import.meta.url), 'utf8');
  const examples = examplesOf(file, markdown);

  describe(`docs/${file} examples`, () => {
    it('has policy examples to check', () => {
      assert.ok(examples.length > 0, `no examples found in docs/${file}`);
    });

    for (const example of examples) {
      it(`${example.heading} (${example.where})`, async () => {
        const error = await load(example);
        if (example.expectedError === undefined) {
          if (error !== null) assert.fail(`the example should load, but:\n${error.message}`);
          return;
        }
        assert.ok(error !== null, 'the example should fail to load');
        assert.ok(example.expectedError !== null, 'an error example needs a ```text block with the message right after it');
        assert.equal(error.message.trimEnd(), example.expectedError.trimEnd());
      });
    }
  });
}
