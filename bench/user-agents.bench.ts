// User-agent classification against the isbot fixtures in ../shared/corpora/isbot (written by the
// isbot project, not by us): every crawler string should be recognised as automation (bot, HTTP
// client, headless browser or scanner), no browser string should be. Also the cost per call,
// uncached and through the cache, against isbot itself in the same run.
//
//   npm run bench:user-agents     (writes the "user-agents" section of BENCHMARKS.md)
//   npm run bench:user-agents -- --corpus <dir>   (another copy of the corpus)
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isbot } from 'isbot';
import { parse } from 'yaml';
import { classifyUserAgent, classifyUserAgentUncached } from '../src/signals/user-agent/classify-user-agent.ts';
import { claimedCrawler } from '../src/signals/verified-bots/bot-verifier.ts';
import type { UserAgentKind } from '../src/signals/user-agent/classify-user-agent.ts';
import { combine, machine, measure, writeSection } from './lib/harness.ts';
import type { Result } from './lib/harness.ts';

const at = process.argv.indexOf('--corpus');
const CORPUS = at === -1 ? resolve(fileURLToPath(new URL('../../shared/corpora/isbot', import.meta.url))) : resolve(process.argv[at + 1]!);
if (!existsSync(join(CORPUS, 'crawlers.yml'))) {
  process.stderr.write(`no isbot corpus at ${CORPUS}; pass --corpus <dir with crawlers.yml and browsers.yml>\n`);
  process.exit(2);
}
const load = (file: string): string[] => Object.values(parse(readFileSync(join(CORPUS, file), 'utf8')) as Record<string, string[]>).flat();
const crawlers = load('crawlers.yml');
const browsers = load('browsers.yml');

const AUTOMATION: ReadonlySet<UserAgentKind> = new Set(['bot', 'http-client', 'headless', 'scanner']);
const missed = crawlers.filter((ua) => !AUTOMATION.has(classifyUserAgentUncached(ua).kind));
const flagged = browsers.filter((ua) => AUTOMATION.has(classifyUserAgentUncached(ua).kind));
const byKind = new Map<string, number>();
for (const ua of crawlers) {
  const c = classifyUserAgentUncached(ua);
  const k = c.kind === 'bot' ? `bot (${c.category!})` : c.kind;
  byKind.set(k, (byKind.get(k) ?? 0) + 1);
}

// Timing: browsers and crawlers mixed, as the classifier meets them.
const mixed = [...browsers, ...crawlers];
const n = mixed.length;
const cases: [string, (i: number) => unknown][] = [
  ['isbot(ua)', (i) => isbot(mixed[i % n]!)],
  ['classifyUserAgentUncached(ua)', (i) => classifyUserAgentUncached(mixed[i % n]!)],
  ['classifyUserAgent(ua) (cached)', (i) => classifyUserAgent(mixed[i % n]!)],
  // Uncached, on every request a rule tests `bot.fake` on: which verifiable crawler the UA claims.
  ['claimedCrawler(ua)', (i) => claimedCrawler(mixed[i % n]!)],
];
const rounds = new Map<string, Result[]>();
for (let r = 0; r < 5; r++) {
  for (const [name, op] of cases) {
    const result = await measure(name, op, { batches: 20, batchSize: n });
    if (r > 0) rounds.set(name, [...(rounds.get(name) ?? []), result]);
  }
}
const timing = cases.map(([name]) => combine(rounds.get(name)!));

const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;
const markdown = `## User-agent classification (isbot fixtures)

Command: \`npm run bench:user-agents\` (${machine()}). The fixtures are \`../shared/corpora/isbot\`
(\`crawlers.yml\`: ${crawlers.length} strings that should be seen as automation; \`browsers.yml\`:
${browsers.length} that should not), written by the isbot project. A crawler string counts as found when
\`src/signals/user-agent/classify-user-agent.ts\` calls it a bot, an HTTP client, a headless browser
or a scanner (the \`ua.*\` signals); a browser string is a false positive when it gets any of those.

| | result |
| --- | ---: |
| crawlers found (recall) | **${crawlers.length - missed.length} / ${crawlers.length} (${pct(crawlers.length - missed.length, crawlers.length)})** |
| browsers flagged (false positives) | **${flagged.length} / ${browsers.length} (${pct(flagged.length, browsers.length)})** |

How the crawler strings were classified: ${[...byKind].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}.
${missed.length > 0 ? `\nMissed: ${missed.slice(0, 10).map((u) => `\`${u}\``).join(', ')}\n` : ''}${flagged.length > 0 ? `\nFlagged browsers: ${flagged.slice(0, 10).map((u) => `\`${u}\``).join(', ')}\n` : ''}
Cost per call over the ${n} strings mixed (median of 4 rounds, same process):

| call | median | vs isbot |
| --- | ---: | ---: |
${timing.map((t) => `| \`${t.name}\` | ${(t.medianNs / 1000).toFixed(2)} µs | ${(timing[0]!.medianNs / t.medianNs).toFixed(2)}× |`).join('\n')}

The uncached classifier runs isbot's pattern plus its own tables (scanners, headless browsers, HTTP
clients, bot categories), so it costs ${(timing[1]!.medianNs / timing[0]!.medianNs).toFixed(1)}× isbot alone; the engine calls the cached one
(${n} distinct strings fit in its 4,096 entries), at most once per request and only when a rule or the
risk score needs a \`ua.*\` or \`headers.*\` signal. \`claimedCrawler\` (which search crawler the
user agent claims, for \`bot.verified\` / \`bot.fake\`) is not cached: one combined pattern answers
"none" for most user agents in one pass.`;

writeSection('user-agents', markdown);
process.stdout.write(`${markdown}\n\nwritten to BENCHMARKS.md\n`);
