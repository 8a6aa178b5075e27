// Quality benchmark (npm run bench:quality, issue 9 item 6) on flickr8k-224 (train 6,000 / dev
// 1,000): the from-scratch CNN (`default` preset, headless trainer) at a fixed step budget vs the
// pretrained tower (frozen nsfwjs MobileNetV2 1.4 features, cached; feature head + text tower,
// then the match classifier fitted on the frozen embeddings), each with its wall time. Per row:
// R@1/5/10 both ways, median rank, the classifier's AUC vs random and vs the hardest wrong caption
// beside plain cosine's, ECE before and after Platt, by the lab's definitions (src/train/evaluate.ts).
// The pretrained row is also scored on dev features of 128-px copies upsampled to 224 (what the
// page stores). Writes bench/results/quality.json and regenerates BENCHMARKS.md.
// Flags: --only=scratch|pretrained (the other row is kept from the last run), --scratch-steps=N
// (default 200), --train-images=N (pretrained: the first N train images), --backend=B (wasm),
// --alternatives='[{"hardShare":0.5}, ...]' (pretrained: other classifier fits, logged and kept in the row's extra).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EvalMetrics } from '../src/train/types';
import { trainFolder } from '../cli/headless';
import { loadFolderCached } from './lib/folderCache';
import { machineInfo } from './lib/machine';
import { readResult, writeResult, type ResultFile } from './lib/results';

/** What a row reports of an evaluation on the dev split. */
export type QualityEval = Pick<EvalMetrics, 'i2t' | 't2i' | 'auc' | 'match' | 'images' | 'captions'>;

export interface QualityRow {
  name: 'scratch' | 'pretrained';
  tower: string; // the image tower in words
  recipe: string; // what was trained, one line
  backend: string;
  trainImages: number;
  steps: number;
  wallSeconds: number; // the row's whole wall time in this run (decode or feature pass read/computed, training, evaluation)
  prepSeconds: number; // decoding the images (scratch) or the feature pass as recorded when computed (pretrained)
  prepImages: number;
  trainSeconds: number;
  secondsPerEpoch: number | null; // of the trainable part (an epoch = every train caption once)
  eval: QualityEval;
  evalAt128: QualityEval | null; // pretrained: the same model on dev features of 128-px copies upsampled to 224
  startedAt: string;
  loadAverage: number[];
  notes: string[];
}

const DATA = fileURLToPath(new URL('../../shared/datasets/flickr8k-224', import.meta.url));
const pick = (e: EvalMetrics): QualityEval => ({
  i2t: e.i2t,
  t2i: e.t2i,
  auc: e.auc,
  match: e.match,
  images: e.images,
  captions: e.captions,
});

async function scratchRow(steps: number, backend: string, log: (line: string) => void): Promise<QualityRow> {
  const startedAt = new Date().toISOString();
  const loadAverage = machineInfo().loadAverage;
  const t0 = performance.now();
  const loaded = loadFolderCached(DATA, 128, log); // the page's stored 128-px copies
  const r = await trainFolder({
    data: DATA,
    loaded,
    preset: 'default',
    backend,
    steps,
    overrides: { maxEvalImages: 1000, evalEveryEpoch: false },
    stepMetricsEvery: 25,
    log: (line) => (/^step \d*[05]0 |^eval|^backend|^training/.test(line) ? log(`[scratch] ${line}`) : undefined),
  });
  if (!r.finalEval) throw new Error('quality: expected an evaluation at the end of the scratch run, found none');
  const trainCaptions = loaded.set.captions.filter((c) => loaded.set.imageSplit[c.image] === 0).length;
  const stepsPerEpoch = Math.ceil(trainCaptions / r.checkpoint.config.batchSize);
  return {
    name: 'scratch',
    tower: 'CNN from scratch (default preset: 64 px, 4 convs 32-256, conv text encoder, match head)',
    recipe: `${r.checkpoint.step} steps of batch ${r.checkpoint.config.batchSize}, AdamW lr ${r.checkpoint.config.learningRate}, flips, seed 1; the last weights`,
    backend: r.backend.detail,
    trainImages: 6000,
    steps: r.checkpoint.step,
    wallSeconds: (performance.now() - t0) / 1000,
    prepSeconds: loaded.seconds,
    prepImages: loaded.set.imageNames.length,
    trainSeconds: r.trainSeconds,
    secondsPerEpoch: (r.trainSeconds / r.checkpoint.step) * stepsPerEpoch,
    eval: pick(r.finalEval),
    evalAt128: null,
    startedAt,
    loadAverage,
    notes: [],
  };
}

export async function benchQuality(argv: string[]): Promise<ResultFile<QualityRow> | null> {
  const arg = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const only = arg('only');
  const backend = arg('backend') ?? 'wasm';
  if (!existsSync(DATA)) {
    console.log(`quality: skipped, ${DATA} is missing`);
    return null;
  }
  const log = (l: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${l}`);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const machine = machineInfo();
  const rows: QualityRow[] = [];
  if (!only || only === 'scratch') rows.push(await scratchRow(Number(arg('scratch-steps') ?? '200'), backend, log));
  if (!only || only === 'pretrained') {
    const { pretrainedRow } = await import('./lib/pretrainedRow');
    const alternatives = arg('alternatives') ? (JSON.parse(arg('alternatives')!) as object[]) : [];
    rows.push(await pretrainedRow(DATA, { trainImages: Number(arg('train-images') ?? Infinity), log, alternatives }));
  }
  // A row not run now is kept from the last run (each row says when it ran).
  const earlier = readResult<QualityRow>('quality');
  const kept = (earlier?.rows ?? []).filter((r) => r.name && !rows.some((n) => n.name === r.name));
  const file: ResultFile<QualityRow> = {
    version: 1,
    benchmark: 'quality',
    startedAt,
    seconds: Math.round((performance.now() - t0) / 1000),
    machine,
    rows: [...kept, ...rows].sort((a, b) => a.name.localeCompare(b.name)).reverse(),
    notes: [
      'flickr8k-224, official splits: train 6,000 images / 30,000 captions, dev 1,000 / 5,000; every number is on all 1,000 dev images and their 5,000 captions.',
      "Definitions are the lab's (src/train/evaluate.ts): an image query hits with any of its captions or any caption of the same text; median rank 1-based; classifier pairs = every positive, per image its most similar wrong caption (hard) and one random wrong caption; AUC beside plain cosine's on the same pairs; ECE over 10 equal-width bins, after Platt cross-fitted on halves of the dev images.",
      "Wall time is each row's own, on a 2-core machine shared with other work (load average per row): compare rows by what they reach, not by seconds.",
    ],
  };
  writeResult(file);
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = await benchQuality(process.argv.slice(2));
  (await import('./report')).writeReport();
  if (file) console.log(`quality benchmark: ${file.seconds} s`);
}
