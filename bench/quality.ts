// Quality benchmark (npm run bench:quality): the headless trainer on flickr8k-224's official train
// split for a fixed step budget, then retrieval on its 1,000 dev images (R@1/5/10 both ways, match
// AUC), for the conv text encoder and the bag-of-words ablation. Seeded: same data order and init.
// Flags: --steps=N (default 600), --preset=P (default tiny), --backend=B (default wasm).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PresetName, TextEncoderKind } from '../src/config';
import type { EvalMetrics } from '../src/train/types';
import { loadFolder } from '../cli/dataset';
import { trainFolder } from '../cli/headless';
import { machineInfo } from './lib/machine';
import { writeResult, type ResultFile } from './lib/results';

export interface QualityRow {
  dataset: string;
  preset: PresetName;
  textEncoder: TextEncoderKind;
  backend: string;
  steps: number;
  seed: number;
  trainSeconds: number;
  eval: EvalMetrics | null;
}

const DATA = fileURLToPath(new URL('../../shared/datasets/flickr8k-224', import.meta.url));

export async function benchQuality(argv: string[]): Promise<ResultFile<QualityRow> | null> {
  const arg = (name: string, fallback: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  const steps = Number(arg('steps', '600'));
  const preset = arg('preset', 'tiny') as PresetName;
  const backend = arg('backend', 'wasm');
  if (!existsSync(DATA)) {
    console.log(`quality: skipped, ${DATA} is missing`);
    return null;
  }
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const machine = machineInfo();
  const t = performance.now();
  const loaded = loadFolder(DATA, { onProgress: (p) => p.done % 1000 === 0 && console.log(`decoded ${p.done}/${p.total}`) });
  const loadSeconds = (performance.now() - t) / 1000;
  console.log(`loaded ${loaded.set.imageNames.length} images (${loaded.skipped.length} skipped) in ${loadSeconds.toFixed(0)} s`);
  const rows: QualityRow[] = [];
  for (const textEncoder of ['conv', 'bow'] as const) {
    const r = await trainFolder({
      data: DATA,
      loaded,
      preset,
      backend,
      steps,
      overrides: { textEncoder, maxEvalImages: 1000, evalEveryEpoch: false },
      stepMetricsEvery: 50,
      log: (line) => (/^step \d+0 |^eval|^backend|^training/.test(line) ? console.log(`[${textEncoder}] ${line}`) : undefined),
    });
    rows.push({
      dataset: 'flickr8k-224',
      preset,
      textEncoder,
      backend: r.backend.detail,
      steps: r.checkpoint.step,
      seed: r.checkpoint.config.seed,
      trainSeconds: r.trainSeconds,
      eval: r.finalEval,
    });
  }
  const file: ResultFile<QualityRow> = {
    version: 1,
    benchmark: 'quality',
    startedAt,
    seconds: Math.round((performance.now() - t0) / 1000),
    machine,
    rows,
    notes: [
      `flickr8k-224 decoded in Node (jpeg-js, centre crop, area resize to 128 px as ingestion stores) in ${loadSeconds.toFixed(0)} s: ${loaded.set.imageNames.length} images, ${loaded.skipped.length} refused as damaged/corrupt; splits from the official lists (train 6,000 / dev 1,000).`,
      `${steps} steps of the ${preset} preset (seed 1) per text encoder, everything else equal; evaluated once at the end on up to 1,000 dev images, one caption per image per batch for val loss; i2t counts a hit when any of the image's captions is retrieved.`,
      'AUC is the match classifier\'s on dev positives vs negatives ("–" for presets without one).',
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
