// Match-classifier experiment (issue 9): the tiny preset on flickr8k-224's train split for a fixed
// step budget, then the 1,000 dev images: R@K, the classifier's AUC beside plain cosine's on the same
// pairs (vs random and vs hardest wrong captions), ECE before and after Platt scaling.
//   node --import tsx bench/match-head.ts --steps=2000 --variant=NAME [--variant=...]
// Variants are config overrides (see VARIANTS). The decoded 32-px dataset is cached in /tmp.
// Measured 2026-11-28 (2 cores under load), 2,000 steps, AUC vs random / vs hardest (cosine's):
//   baseline (mlp, joint, 1 negative)  0.724 (0.774) / 0.470 (0.079); ECE 0.197 -> 0.028 after Platt
//   cosine-feature, detached, 2        0.768 (0.771) / 0.187 (0.062); ECE 0.330 -> 0.012  <- presets
//   cosine-feature, detached, 4        0.773 (0.771) / 0.101 (0.062); ECE 0.456 -> 0.024
// The 800-step table is in the commit that set the presets.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TrainConfig } from '../src/config';
import type { TrainingSet } from '../src/data/types';
import { loadFolder, type LoadedFolder } from '../cli/dataset';
import { trainFolder } from '../cli/headless';

const DATA = fileURLToPath(new URL('../../shared/datasets/flickr8k-224', import.meta.url));
const CACHE = '/tmp/clip-lab-flickr8k-224-32px';

const VARIANTS: Record<string, Partial<TrainConfig>> = {
  baseline: { matchHead: 'mlp', matchDetach: false, matchNegatives: 1 }, // the head before issue 9
  detach: { matchHead: 'mlp', matchDetach: true, matchNegatives: 1 },
  cosfeat: { matchHead: 'cosine-feature', matchDetach: false, matchNegatives: 1 },
  residual: { matchHead: 'residual', matchDetach: false, matchNegatives: 1 },
  'residual-detach': { matchHead: 'residual', matchDetach: true, matchNegatives: 1 },
  'residual-detach-neg4': { matchHead: 'residual', matchDetach: true, matchNegatives: 4 },
  'residual-neg4': { matchHead: 'residual', matchDetach: false, matchNegatives: 4 },
  neg4: { matchHead: 'mlp', matchDetach: false, matchNegatives: 4 },
  'detach-neg4': { matchHead: 'mlp', matchDetach: true, matchNegatives: 4 },
  'cosfeat-detach': { matchHead: 'cosine-feature', matchDetach: true, matchNegatives: 1 },
  'cosfeat-detach-neg2': { matchHead: 'cosine-feature', matchDetach: true, matchNegatives: 2 },
  'cosfeat-detach-neg4': { matchHead: 'cosine-feature', matchDetach: true, matchNegatives: 4 },
};

function load(): LoadedFolder {
  if (existsSync(`${CACHE}.json`)) {
    const meta = JSON.parse(readFileSync(`${CACHE}.json`, 'utf8')) as Omit<TrainingSet, 'pixels' | 'imageSplit'> & {
      imageSplit: number[];
      plan: LoadedFolder['plan'];
    };
    const set: TrainingSet = {
      ...meta,
      imageSplit: Uint8Array.from(meta.imageSplit),
      pixels: new Uint8Array(readFileSync(`${CACHE}.bin`)),
    };
    return { set, plan: meta.plan, skipped: [] };
  }
  const loaded = loadFolder(DATA, { size: 32 });
  const { pixels, imageSplit, ...rest } = loaded.set;
  writeFileSync(`${CACHE}.bin`, pixels);
  writeFileSync(`${CACHE}.json`, JSON.stringify({ ...rest, imageSplit: [...imageSplit], plan: { ...loaded.plan, images: [] } }));
  return loaded;
}

const f = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x.toFixed(3));
const argv = process.argv.slice(2);
const steps = Number(argv.find((a) => a.startsWith('--steps='))?.slice(8) ?? '2000');
const names = argv.filter((a) => a.startsWith('--variant=')).map((a) => a.slice(10));
const loaded = load();
for (const name of names.length ? names : ['baseline']) {
  const overrides = VARIANTS[name];
  if (!overrides) throw new Error(`--variant: expected one of ${Object.keys(VARIANTS).join(', ')}, found '${name}'`);
  const r = await trainFolder({
    data: DATA,
    loaded,
    preset: 'tiny',
    backend: 'wasm',
    steps,
    stepMetricsEvery: 100,
    overrides: { ...overrides, maxEvalImages: 1000, evalEveryEpoch: false },
    log: (line) => (/^step \d*000 |^eval/.test(line) ? console.log(`[${name}] ${line}`) : undefined),
  });
  const e = r.finalEval!;
  const m = e.match;
  console.log(
    `RESULT ${name} steps=${r.checkpoint.step} ${r.trainSeconds.toFixed(0)}s | i2t R@1/5/10 ${f(e.i2t.r1)}/${f(e.i2t.r5)}/${f(e.i2t.r10)} ` +
      `t2i ${f(e.t2i.r1)}/${f(e.t2i.r5)}/${f(e.t2i.r10)} valLoss ${f(e.valLoss)} | AUC all ${f(e.auc)} (cos ${f(m?.cosineAuc)}) ` +
      `random ${f(m?.aucRandom)} (cos ${f(m?.cosineAucRandom)}) hard ${f(m?.aucHard)} (cos ${f(m?.cosineAucHard)}) ` +
      `| calibrated: random ${f(m?.calibratedAucRandom)} hard ${f(m?.calibratedAucHard)} | ECE ${f(m?.ece)} -> ${f(m?.eceCalibrated)} (stacked: ${f(m?.stackWz)}·z + ${f(m?.stackWc)}·cos + ${f(m?.stackB)})`,
  );
}
