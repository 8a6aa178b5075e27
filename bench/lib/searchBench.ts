// Search benchmarks with the app's own inference code: index build (embedImages over stored-side
// pixels, the model's resize included) and text -> top-10 (embedTexts + topK) over a 7,000-row index
// of random unit embeddings. Untrained weights: speed does not depend on what the model learnt.

import { withOverrides, type PresetName } from '../../src/config';
import { Tokenizer } from '../../src/data/tokenizer';
import { ClipModel } from '../../src/model/clip';
import type { ConvImpl } from '../../src/model/layers';
import { topK } from '../../src/model/retrieval';
import { embedImages, embedTexts } from '../../src/use/inference';
import { summarize, type Summary } from './stats';
import { randomUnitRows, syntheticTrainingSet } from './synthetic';

export interface IndexBenchResult {
  preset: PresetName;
  convImpl: ConvImpl;
  images: number; // embedded in the timed pass
  storedSide: number;
  warmupMs: number; // first batch (compiles shaders)
  ms: number;
  imagesPerSec: number;
  extrapolatedMsFor7000: number;
}

export interface SearchBenchResult {
  preset: PresetName;
  indexRows: number;
  dim: number;
  queries: number;
  total: Summary; // ms: one caption -> embedding -> top-10
  embedText: Summary; // ms: the text encoder part
  topK: Summary; // ms: the 7,000-row scan
}

function model(preset: PresetName, convImpl: ConvImpl) {
  const config = withOverrides(preset);
  const data = syntheticTrainingSet(config, { images: 400, captionsPerImage: 5, size: 8 });
  const tokenizer = Tokenizer.build(
    data.captions.map((c) => c.text),
    { maxVocab: config.vocabSize, minCount: config.minWordCount },
  );
  return { config, data, tokenizer, model: ClipModel.create(config, tokenizer.size, { convImpl }) };
}

/** Embeds `images` random images stored at `storedSide` px, after a one-batch warm-up. */
export async function benchIndexBuild(opts: {
  preset: PresetName;
  convImpl: ConvImpl;
  images: number;
  storedSide: number;
}): Promise<IndexBenchResult> {
  const { model: m } = model(opts.preset, opts.convImpl);
  try {
    const per = opts.storedSide * opts.storedSide * 3;
    const pixels = new Uint8Array(opts.images * per);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
    let t = performance.now();
    await embedImages(m, pixels.subarray(0, 64 * per), opts.storedSide, 64);
    const warmupMs = performance.now() - t;
    t = performance.now();
    await embedImages(m, pixels, opts.storedSide, opts.images);
    const ms = performance.now() - t;
    return {
      preset: opts.preset,
      convImpl: opts.convImpl,
      images: opts.images,
      storedSide: opts.storedSide,
      warmupMs,
      ms,
      imagesPerSec: (1000 * opts.images) / ms,
      extrapolatedMsFor7000: (ms / opts.images) * 7000,
    };
  } finally {
    m.dispose();
  }
}

/** `queries` captions, each embedded alone and ranked against a 7,000-row index, after 3 warm-up queries. */
export async function benchSearch(opts: { preset: PresetName; queries: number; indexRows?: number }): Promise<SearchBenchResult> {
  const { config, data, tokenizer, model: m } = model(opts.preset, 'im2col');
  const rows = opts.indexRows ?? 7000;
  const D = config.embedDim;
  const index = randomUnitRows(rows, D, 3);
  const total: number[] = [];
  const embed: number[] = [];
  const scan: number[] = [];
  try {
    for (let q = 0; q < opts.queries + 3; q++) {
      const text = data.captions[q].text;
      const t0 = performance.now();
      const query = await embedTexts(m, tokenizer, [text]); // [1, D]
      const t1 = performance.now();
      const top = topK(query, index, D, 10);
      const t2 = performance.now();
      if (top.length !== 10) throw new Error(`topK returned ${top.length} rows, expected 10`);
      if (q >= 3) {
        total.push(t2 - t0);
        embed.push(t1 - t0);
        scan.push(t2 - t1);
      }
    }
  } finally {
    m.dispose();
  }
  return {
    preset: opts.preset,
    indexRows: rows,
    dim: D,
    queries: opts.queries,
    total: summarize(total),
    embedText: summarize(embed),
    topK: summarize(scan),
  };
}
