// The lab's side of the Python tests (npm run test:python): `prepare DIR` writes what the Python
// tests compare against — a synthetic dataset folder, lab-trained files for each text encoder, the
// lab's embeddings and P(match) on exported model-side pixels, Node-decoded JPEG/PNG pixels, the
// tokenizer on awkward text, the folder plans and the hostile-file table; `check DIR` imports the
// files Python saved (round trip: same scores; Python-trained: scores and continues training).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { PRESETS, type TextEncoderKind } from '../../src/config';
import { renderSampleImage } from '../../src/data/sample';
import { tokenize, Tokenizer } from '../../src/data/tokenizer';
import { decodeModelFile, encodeModelFile } from '../../src/io/modelFile';
import { ClipModel } from '../../src/model/clip';
import { embedImages, embedTokens, scoreEmbeddings } from '../../src/use/inference';
import { loadFolder } from '../../cli/dataset';
import { trainFolder } from '../../cli/headless';
import { decodeImageFile } from '../../cli/image';
import { AdamW } from '../../src/train/optimizer';
import { resizeImages } from '../../src/train/pixels';
import { trainStep } from '../../src/train/step';
import { runTraining } from '../../src/train/trainer';
import type { Calibration, Checkpoint } from '../../src/train/types';
import { plattProbability } from '../../src/model/calibration';
import { stackedProbability } from '../../src/model/stackedCalibration';
import { hostileModelFiles } from '../../tests/unit/io/hostileFiles';

export const ENCODERS: TextEncoderKind[] = ['conv', 'bow', 'transformer'];
const SAMPLE_IMAGES = 240;
const PROBE = 8; // images and captions whose embeddings are compared
export const ORIGINALS = join(import.meta.dirname, '../../../shared/datasets/flickr8k-originals');
const TOKENIZER_CASES = [
  "A dog's ball, 2 kids!",
  'Café déjà-vu NAÏVE',
  "don't  'quoted' rock'n'roll",
  'x_y snake_case',
  'élan—vital…',
  '日本語のテキスト',
  '١٢٣ digits ²³ Ⅻ',
  'Straße ΣΊΣΥΦΟΣ',
  'İstanbul',
  'emoji 🐶 dog',
  'tab\tand\nnewline',
  '',
];

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function rgbaOf(rgb: Uint8Array, n: number): Uint8Array {
  const rgba = new Uint8Array(n * 4).fill(255);
  for (let p = 0; p < n; p++) rgba.set(rgb.subarray(3 * p, 3 * p + 3), 4 * p);
  return rgba;
}

/**
 * The synthetic sample as a Kaggle-layout folder of PNGs (lossless, so the lab and Python train on
 * identical pixels), and the first 12 of its images as JPEGs in `jpegDir` (for the decoder bound
 * when flickr8k-originals is absent).
 */
function writeSample(dir: string, jpegDir: string): void {
  mkdirSync(join(dir, 'Images'), { recursive: true });
  mkdirSync(jpegDir, { recursive: true });
  const lines = ['image,caption'];
  for (let i = 0; i < SAMPLE_IMAGES; i++) {
    const img = renderSampleImage(i, 128, 0);
    const png = new pngjs.PNG({ width: 128, height: 128 });
    png.data.set(rgbaOf(img.pixels, 128 * 128));
    writeFileSync(join(dir, 'Images', img.name), pngjs.PNG.sync.write(png));
    if (i < 12)
      writeFileSync(
        join(jpegDir, img.name.replace(/\.png$/, '.jpg')),
        jpeg.encode({ data: rgbaOf(img.pixels, 128 * 128), width: 128, height: 128 }, 90).data,
      );
    for (const c of img.captions) lines.push(`${img.name},${csvCell(c)}`);
  }
  writeFileSync(join(dir, 'captions.txt'), `${lines.join('\n')}\n`);
}

function writePngs(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const sizes: [number, number][] = [
    [300, 180],
    [203, 150],
    [128, 128],
    [129, 200],
  ]; // all shrink or keep (see clip_lab/pixels.py on enlarging)
  return sizes.map(([w, h], k) => {
    const src = renderSampleImage(k, Math.max(w, h), 3);
    const side = Math.max(w, h);
    const png = new pngjs.PNG({ width: w, height: h });
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        png.data.set([...src.pixels.subarray(3 * (y * side + x), 3 * (y * side + x) + 3), 255], 4 * (y * w + x));
      }
    const name = `png_${k}.png`;
    writeFileSync(join(dir, name), pngjs.PNG.sync.write(png));
    return name;
  });
}

/** Lab scores of a model on model-side pixels [n, S, S, 3] and captions: embeddings, cosines, P(match) of pair i. */
async function labScores(model: ClipModel, tokenizer: Tokenizer, pixels: Uint8Array, n: number, captions: string[]) {
  const S = model.config.imageSize;
  const img = await embedImages(model, pixels, S, n);
  const txt = await embedTokens(model, tokenizer.encodeBatch(captions, model.config.maxTokens), captions.length);
  const { probability, logit, cosine } = await scoreEmbeddings(model, img, txt);
  return {
    img: [...img],
    txt: [...txt],
    cosine: [...cosine],
    probability: probability ? [...probability] : null,
    logit: logit ? [...logit] : null,
  };
}

/** The page's calibrated P(match) of each pair (ModelSession: stacked over the logit and the cosine, or Platt of the logit). */
const calibratedOf = (logit: number[] | null, cosine: number[], calibration: Calibration | null | undefined) =>
  logit && calibration
    ? logit.map((z, i) =>
        calibration.method === 'stacked' ? stackedProbability(z, cosine[i], calibration) : plattProbability(z, calibration),
      )
    : null;

function modelOf(ckpt: Checkpoint): ClipModel {
  const model = ClipModel.create(ckpt.config, ckpt.vocab.length, { convImpl: 'im2col' });
  model.setWeights(ckpt.weights);
  return model;
}

/** Decodes files the Node way (wasm libjpeg-turbo / pngjs, exact area average to 128). */
function nodeStored(dir: string, names: string[]): Uint8Array {
  const out = new Uint8Array(names.length * 128 * 128 * 3);
  names.forEach((n, i) => out.set(decodeImageFile(readFileSync(join(dir, n)), n, 128).pixels, i * 128 * 128 * 3));
  return out;
}

/** The valid tiny file the hostile cases start from: one AdamW step, as tests/unit/io/modelFile.test.ts builds it. */
async function hostileBase(): Promise<{ file: Uint8Array; vocab: string[] }> {
  const captions = ['a red circle', 'a blue square', 'two green triangles', 'a red square on blue'];
  const tokenizer = Tokenizer.build(captions, { maxVocab: PRESETS.tiny.vocabSize, minCount: 1 });
  const config = PRESETS.tiny;
  const model = ClipModel.create(config, tokenizer.size, { convImpl: 'im2col' });
  const opt = new AdamW(model.trainableVariables(), { epsilon: config.adamEpsilon, weightDecay: config.weightDecay });
  const S = config.imageSize;
  const images = Float32Array.from({ length: 4 * S * S * 3 }, (_, i) => (i % 251) / 251);
  tf.dispose(
    trainStep(
      model,
      opt,
      { size: 4, images, tokens: tokenizer.encodeBatch(captions, config.maxTokens) },
      { lr: 3e-3, step: 0, read: false },
    ) ?? [],
  );
  const file = encodeModelFile({
    version: 1,
    config,
    vocab: [...tokenizer.vocab],
    step: 1,
    epoch: 0,
    batchInEpoch: 1,
    weights: await model.getWeights(),
    optimizer: await opt.getState(),
    history: { steps: [], evals: [] },
    datasetName: 'x',
    createdAt: '2025-03-04T10:15:42.123Z',
  });
  model.dispose();
  opt.dispose();
  return { file, vocab: [...tokenizer.vocab] };
}

export async function prepare(dir: string, log: (s: string) => void): Promise<void> {
  const sample = join(dir, 'sample');
  writeSample(sample, join(dir, 'jpeg'));
  const loaded = loadFolder(sample);
  const { set } = loaded;
  const plans: Record<string, unknown> = { sample: planOf(loaded.plan) };
  try {
    plans.originals = planOf(loadFolder(ORIGINALS).plan);
  } catch {
    log('flickr8k-originals absent: its plan is not compared');
  }
  const probeIds = Array.from({ length: PROBE }, (_, i) => i * 7);
  const probeCaptions = probeIds.map((id) => set.captions.find((c) => c.image === id)!.text);
  const pngNames = writePngs(join(dir, 'png'));
  const jpegDir = plans.originals ? join(ORIGINALS, 'Flicker8k_Dataset') : join(dir, 'jpeg');
  const jpegNames = (
    plans.originals ? (plans.originals as { names: string[] }).names : set.imageNames.map((n) => n.replace(/\.png$/, '.jpg'))
  ).slice(0, 12);
  const jpegCaptions = plans.originals
    ? (plans.originals as { captions: string[][] }).captions.slice(0, 12).map((c) => c[0])
    : jpegNames.map((_, i) => set.captions.find((c) => c.image === i)!.text);
  const models: Record<string, unknown> = {};
  for (const enc of ENCODERS) {
    const out = join(dir, `lab-${enc}.clip.safetensors`);
    const overrides = enc === 'transformer' ? { textEncoder: enc, textLayers: 2, textHeads: 4 } : { textEncoder: enc };
    const r = await trainFolder({ data: sample, loaded, preset: 'tiny', overrides, steps: 6, backend: 'wasm', out });
    if (r.saved !== r.checkpoint)
      throw new Error(`lab-${enc}: the file holds step ${r.saved.step}, not the last (${r.checkpoint.step}) these fixtures describe`);
    const model = modelOf(r.checkpoint);
    const tokenizer = Tokenizer.fromVocab(r.checkpoint.vocab);
    const S = model.config.imageSize;
    const probePixels = new Uint8Array(PROBE * 128 * 128 * 3);
    probeIds.forEach((id, i) => probePixels.set(set.pixels.subarray(id * 128 * 128 * 3, (id + 1) * 128 * 128 * 3), i * 128 * 128 * 3));
    const pixels = resizeImages(probePixels, PROBE, 128, S);
    const jpegPixels = resizeImages(nodeStored(jpegDir, jpegNames), jpegNames.length, 128, S);
    const scores = await labScores(model, tokenizer, pixels, PROBE, probeCaptions);
    models[enc] = {
      file: out,
      eval: r.finalEval,
      steps: r.checkpoint.history.steps,
      pixels: [...pixels],
      captions: probeCaptions,
      scores,
      calibration: r.checkpoint.calibration ?? null,
      calibrated: calibratedOf(scores.logit, scores.cosine, r.checkpoint.calibration),
      jpeg: {
        dir: jpegDir,
        names: jpegNames,
        captions: jpegCaptions,
        scores: await labScores(model, tokenizer, jpegPixels, jpegNames.length, jpegCaptions),
      },
    };
    model.dispose();
    log(`lab-${enc}: step ${r.checkpoint.step}, ${r.finalEval ? `val R@1 i2t ${r.finalEval.i2t.r1.toFixed(3)}` : 'no eval'}`);
  }
  const { file, vocab } = await hostileBase();
  mkdirSync(join(dir, 'hostile'), { recursive: true });
  writeFileSync(join(dir, 'hostile', 'valid.clip.safetensors'), file);
  const hostile = hostileModelFiles(() => file, vocab).map(([name, make, code], k) => {
    const path = join(dir, 'hostile', `${String(k).padStart(2, '0')}.safetensors`);
    writeFileSync(path, make());
    return { name, path, code };
  });
  const fixtures = {
    sample,
    models,
    plans,
    hostile,
    png: { dir: join(dir, 'png'), names: pngNames, stored: [...nodeStored(join(dir, 'png'), pngNames)] },
    jpegStored: { dir: jpegDir, names: jpegNames, stored: [...nodeStored(jpegDir, jpegNames)] },
    tokenizer: TOKENIZER_CASES.map((text) => ({ text, tokens: tokenize(text) })),
    vocabBuild: { captions: TOKENIZER_CASES, vocab: [...Tokenizer.build(TOKENIZER_CASES, { maxVocab: 20, minCount: 1 }).vocab] },
  };
  writeFileSync(join(dir, 'fixtures.json'), JSON.stringify(fixtures));
}

function planOf(plan: ReturnType<typeof loadFolder>['plan']) {
  return { names: plan.images.map((i) => i.name), splits: plan.images.map((i) => i.split), captions: plan.images.map((i) => i.captions) };
}

/** Imports what Python saved: round-trip files score as the originals; the Python-trained file scores and resumes. */
export async function check(dir: string, log: (s: string) => void): Promise<string[]> {
  const fixtures = JSON.parse(readFileSync(join(dir, 'fixtures.json'), 'utf8'));
  const failures: string[] = [];
  for (const enc of ENCODERS) {
    const m = fixtures.models[enc];
    const ckpt = decodeModelFile(readFileSync(join(dir, 'py', `roundtrip-${enc}.clip.safetensors`)));
    const original = decodeModelFile(readFileSync(m.file));
    ckpt.weights.forEach((w, i) => {
      if (Buffer.compare(Buffer.from(w.data.buffer), Buffer.from(original.weights[i].data.buffer)) !== 0)
        failures.push(`roundtrip-${enc}: ${w.name} differs`);
    });
    if (ckpt.optimizer.length !== original.optimizer.length) failures.push(`roundtrip-${enc}: optimizer state lost`);
    if (JSON.stringify(ckpt.calibration ?? null) !== JSON.stringify(original.calibration ?? null))
      failures.push(`roundtrip-${enc}: calibration changed`);
    const model = modelOf(ckpt);
    const scores = await labScores(model, Tokenizer.fromVocab(ckpt.vocab), Uint8Array.from(m.pixels), PROBE, m.captions);
    model.dispose();
    if (JSON.stringify(scores) !== JSON.stringify(m.scores)) failures.push(`roundtrip-${enc}: scores differ after Python load -> save`);
    log(`roundtrip-${enc}: imported, ${ckpt.weights.length} weights identical, scores identical`);
  }
  const trained = readFileSync(join(dir, 'py', 'ddp.clip.safetensors'));
  const ckpt = decodeModelFile(trained);
  const model = modelOf(ckpt);
  const m = fixtures.models.conv;
  const scores = await labScores(model, Tokenizer.fromVocab(ckpt.vocab), Uint8Array.from(m.pixels), PROBE, m.captions);
  model.dispose();
  if (!scores.probability?.every((p) => p >= 0 && p <= 1)) failures.push('ddp file: P(match) out of [0, 1]');
  if (ckpt.calibration) failures.push('ddp file: carries a calibration that Python did not fit');
  const loaded = loadFolder(fixtures.sample);
  const stop = new AbortController();
  const resumed = await runTraining(
    loaded.set,
    { ...ckpt.config, epochs: ckpt.epoch + 2 },
    {
      resume: ckpt,
      convImpl: 'im2col',
      signal: stop.signal,
      datasetName: ckpt.datasetName,
      callbacks: { onStep: (s) => s.step >= ckpt.step + 3 && stop.abort() },
    },
  );
  const losses = resumed.history.steps.slice(ckpt.history.steps.length).map((s) => s.loss);
  if (!(resumed.step > ckpt.step) || !losses.every(Number.isFinite))
    failures.push(`ddp file: did not continue (step ${ckpt.step} -> ${resumed.step})`);
  log(
    `ddp file (Python, 2 ranks): imported at step ${ckpt.step}, P(match) ${scores
      .probability!.slice(0, 2)
      .map((p) => p.toFixed(3))
      .join(', ')}..., ` +
      `continued in the lab to step ${resumed.step} (losses ${losses
        .slice(0, 3)
        .map((l) => l.toFixed(3))
        .join(', ')}...)`,
  );
  return failures;
}
