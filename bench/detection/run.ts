// The detection benchmark (issue 7): labelled attacks and legitimate traffic through the example
// shop policy, and the CrowdSec hub's access-log tests through examples/crowdsec-equivalent.yaml.
//
//   npm run bench:detection              (writes the "detection" and "crowdsec" sections of BENCHMARKS.md)
//   npm run bench:detection -- --quick   (a quarter of the traffic, prints only)
//   npm run bench:detection -- --out DIR (also keeps the generated traffic.jsonl and labels.jsonl in DIR)
//   npm run bench:detection -- --seed N  (another seed; default 1)
//   npm run bench:detection -- --config my-policy.yaml   (score your own policy; prints only)
import { fileURLToPath } from 'node:url';
import { loadPolicyFile } from '../../src/policy/load-policy.ts';
import { machine, writeSection } from '../lib/harness.ts';
import { runCrowdsecCorpus, crowdsecMarkdown, CORPUS_DIR } from './crowdsec.ts';
import { detectionMarkdown } from './report.ts';
import { replayDecisions, scoreDecisions } from './score.ts';
import { simulate, toLogLine, writeSimulation } from './simulate.ts';

const SHOP_POLICY = fileURLToPath(new URL('../../examples/shop/rampart.yaml', import.meta.url));
const CROWDSEC_POLICY = fileURLToPath(new URL('../../examples/crowdsec-equivalent.yaml', import.meta.url));

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
const quick = argv.includes('--quick');
const seed = Number(arg('--seed') ?? 1);
const outDir = arg('--out');
const config = arg('--config');
// Only the example shop policy's figures go into BENCHMARKS.md.
const printOnly = quick || config !== undefined;

const t0 = performance.now();
const sim = simulate({ seed, scale: quick ? 0.25 : 1 });
const lines = sim.records.map(toLogLine);
const generateMs = performance.now() - t0;
if (outDir !== undefined) {
  const files = writeSimulation(sim, outDir);
  process.stderr.write(`wrote ${files.traffic} and ${files.labels}\n`);
}
process.stderr.write(`${lines.length.toLocaleString('en-US')} records generated in ${(generateMs / 1000).toFixed(1)} s; replaying…\n`);
const { actions, rules, stats } = await replayDecisions(loadPolicyFile(config ?? SHOP_POLICY, { env: {} }), lines);
const score = scoreDecisions({
  ts: sim.records.map((r) => r.ts),
  labels: sim.records.map((r) => r.label),
  actions,
  rules,
  order: sim.scenarios.map((s) => s.id),
});
const detection = detectionMarkdown({
  score,
  scenarios: sim.scenarios,
  records: sim.records.length,
  users: sim.users,
  addressSource: sim.addressSource,
  seed,
  command: `npm run bench:detection${quick ? ' -- --quick' : ''}${seed === 1 ? '' : ` -- --seed ${seed}`}`,
  machine: machine(),
  generateMs,
  replayMs: stats.elapsedMs,
});

const corpus = await runCrowdsecCorpus(CORPUS_DIR, loadPolicyFile(CROWDSEC_POLICY, { env: {} }));
const crowdsec = crowdsecMarkdown(corpus, machine());

if (printOnly) process.stdout.write(`${detection}\n\n${crowdsec}\n`);
else {
  writeSection('detection', detection);
  writeSection('crowdsec', crowdsec);
  process.stdout.write(`${detection}\n\n${crowdsec}\n\nwritten to BENCHMARKS.md\n`);
}
