// Pretrained-tower quality benchmark (npm run bench:backbone): features of flickr8k-224's train
// (6,000) and dev (1,000) images from the nsfwjs MobileNetV2-1.4 fixture backbone on wasm, plain
// and flipped, cached under bench/tmp/ (reruns skip the pass); then trains heads (feature head +
// the lab's text tower + symmetric InfoNCE, AdamW) per variant and reports dev R@1/5/10 both ways,
// median rank, seconds per epoch and the feature pass's images/s. Writes bench/results/backbone.json.
// Flags: --only=a,b (variant names), --epochs=N, --no-flip (skip the flipped pass and its variants),
// --train-images=N (the first N train images only: a quicker pass on a loaded machine), --dev-flip
// (also the dev images' flipped view, for the test-time mean of both views: the 'tta' columns).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BackboneIdentity } from '../src/model/backbone';
import { loadFeatureData } from './lib/featureData';
import { BASE_HEAD as BASE, trainVariant, type HeadVariant, type VariantResult } from './lib/featureTrain';
import { machineInfo, type MachineInfo } from './lib/machine';

const DATA = fileURLToPath(new URL('../../shared/datasets/flickr8k-224', import.meta.url));
const RESULT = fileURLToPath(new URL('./results/backbone.json', import.meta.url));

/** The issue's targets on the dev split (i->t / t->i). */
export const TARGETS = { i2tR1: 0.07, t2iR1: 0.055, i2tR10: 0.28, t2iR10: 0.24 };

/** The levers, one at a time from the probe's setup (linear head, bag of words). */
export const VARIANTS: HeadVariant[] = [
  { ...BASE, name: 'linear-bow' },
  { ...BASE, name: 'linear-bow-drop', dropout: 0.5 },
  { ...BASE, name: 'linear-bow-drop-flip', dropout: 0.5, flipAugment: true },
  { ...BASE, name: 'linear-bow-drop-flip-wd', dropout: 0.5, flipAugment: true, weightDecay: 0.5 },
  { ...BASE, name: 'mlp-bow-drop-flip', hidden: 1024, dropout: 0.5, flipAugment: true },
  { ...BASE, name: 'linear-conv-drop-flip', textEncoder: 'conv', dropout: 0.5, flipAugment: true },
];

/** One variant's result, the number of train images it trained on, and when (runs merge rows). */
export type BenchRow = VariantResult & { trainImages: number; startedAt: string; loadAverage: number[] };

export interface BackboneBenchFile {
  version: 1;
  benchmark: 'backbone';
  startedAt: string;
  seconds: number;
  machine: MachineInfo;
  loadAverageAtEnd: number[];
  backend: string;
  backbone: BackboneIdentity;
  trainImages: number;
  featurePass: { images: number; seconds: number; imagesPerSecond: number; computedNow: number; views: string[] };
  targets: typeof TARGETS;
  rows: BenchRow[];
  notes: string[];
}

export async function benchBackbone(argv: string[]): Promise<BackboneBenchFile | null> {
  const arg = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const withFlip = !argv.includes('--no-flip');
  if (!existsSync(DATA)) {
    console.log(`backbone: skipped, ${DATA} is missing`);
    return null;
  }
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const machine = machineInfo();
  const log = (l: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${l}`);
  const d = await loadFeatureData(DATA, {
    trainImages: Number(arg('train-images') ?? Infinity),
    withFlip,
    devFlip: argv.includes('--dev-flip'),
    dev128: false,
    log,
  });
  const splits = { train: d.train, val: d.val };
  const { tokenizer, stats } = d;
  const views = withFlip ? ['plain', 'flip'] : ['plain'];
  console.log(`train ${splits.train.captionImage.length} captions, dev ${splits.val.captionImage.length}; vocab ${tokenizer.size}`);

  const only = arg('only')?.split(',');
  const epochs = arg('epochs');
  const variants = VARIANTS.filter((v) => !only || only.includes(v.name))
    .filter((v) => withFlip || !v.flipAugment)
    .map((v) => (epochs ? { ...v, epochs: Number(epochs) } : v));
  const results: VariantResult[] = [];
  for (const v of variants) results.push(await trainVariant(v, splits.train, splits.val, tokenizer, log));

  const file: BackboneBenchFile = {
    version: 1,
    benchmark: 'backbone',
    startedAt,
    seconds: Math.round((performance.now() - t0) / 1000),
    machine,
    loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
    backend: d.backend,
    backbone: d.identity,
    trainImages: d.trainImages,
    featurePass: {
      images: stats.images,
      seconds: Math.round(stats.seconds),
      imagesPerSecond: stats.images / stats.seconds,
      computedNow: stats.computedNow,
      views,
    },
    targets: TARGETS,
    rows: results.map((r) => ({ ...r, trainImages: d.trainImages, startedAt, loadAverage: machine.loadAverage })),
    notes: [
      'flickr8k-224 official splits: train 6,000 images / 30,000 captions, dev 1,000 / 5,000. Images decoded with jpeg-js (Node ingestion), 224 px, values /255.',
      `Features: ${d.identity.featureSize}-d pooled output of the nsfwjs MobileNetV2 1.4 graph model, frozen; the feature pass's images/s counts JPEG decode + backbone on wasm (1 thread), as recorded per cached chunk when it was computed (under the machine's load then, niced).`,
      "Heads: FeatureClipModel (feature head + text tower, symmetric InfoNCE with learnable logit scale), AdamW (decay on matrices), warm-up + cosine to the variant's epoch budget, batch of distinct images.",
      'Best epoch = highest dev mean R@5 (i2t + t2i) / 2; early stopping on the same dev split, so the best-epoch numbers are selected on dev (slightly optimistic); every epoch is listed.',
      'tta = each dev image embedded as the normalised mean of its plain and flipped embeddings.',
    ],
  };
  // Rows of other variants from an earlier run on the same backbone and train images are kept,
  // so variants can be run one at a time on a loaded machine.
  const earlier = existsSync(RESULT) ? (JSON.parse(readFileSync(RESULT, 'utf8')) as BackboneBenchFile) : null;
  if (earlier?.backbone.sha256 === file.backbone.sha256) {
    const key = (r: BenchRow) => `${r.variant.name}@${r.trainImages}`;
    const kept = earlier.rows
      .map((r) => ({
        ...r,
        trainImages: r.trainImages ?? earlier.trainImages,
        startedAt: r.startedAt ?? earlier.startedAt,
        loadAverage: r.loadAverage ?? earlier.machine.loadAverage,
      }))
      .filter((r) => !file.rows.some((n) => key(n) === key(r)));
    file.rows = [...kept, ...file.rows];
    if (kept.length) file.notes.push(`Rows ${kept.map(key).join(', ')} come from earlier runs (each row's startedAt and loadAverage).`);
  }
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(RESULT, JSON.stringify(file, null, 1) + '\n');
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = await benchBackbone(process.argv.slice(2));
  if (file) {
    for (const r of file.rows) {
      const b = r.best;
      const p = (x: number) => (x * 100).toFixed(1);
      console.log(
        `${`${r.variant.name}@${r.trainImages}`.padEnd(28)} best epoch ${b.epoch}: i2t R@1/5/10 ${p(b.i2t.r1)}/${p(b.i2t.r5)}/${p(b.i2t.r10)} med ${b.i2t.medianRank}, t2i ${p(b.t2i.r1)}/${p(b.t2i.r5)}/${p(b.t2i.r10)} med ${b.t2i.medianRank}, ${b.seconds.toFixed(1)} s/epoch`,
      );
    }
    console.log(`backbone benchmark: ${file.seconds} s -> bench/results/backbone.json`);
  }
}
