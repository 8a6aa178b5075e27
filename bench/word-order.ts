// Word-order benchmark (npm run bench:word-order): does the text encoder read word order? Trains
// the tiny preset with the 1-D conv text encoder and with a bag of words, same seed and steps, on
// the built-in synthetic sample (whose captions differ only by order: "a red circle left of a blue
// square" vs "a blue square left of a red circle"), in Node on wasm. Reports val R@1/5/10 both ways
// and a swap test: how often the true relation caption scores above its swapped twin (a bag of
// words cannot tell them apart: 0.5).
import { withOverrides, type TextEncoderKind } from '../src/config';
import { renderSampleImage, sampleImageCount } from '../src/data/sample';
import { assignSplits } from '../src/data/splits';
import { SPLIT_CODE, type TrainingSet } from '../src/data/types';
import { setupNodeBackend } from '../cli/backend';
import { ModelSession } from '../src/use/modelSession';
import { evaluate } from '../src/train/evaluate';
import { prepareData } from '../src/train/prepare';
import { runTraining } from '../src/train/trainer';
import type { EvalMetrics } from '../src/train/types';

const SIDE = 64; // as the page stores the sample
const RELATION = / (left of|right of|above|below|to the left of|to the right of) /;

function sampleSet(): TrainingSet {
  const n = sampleImageCount();
  const images = Array.from({ length: n }, (_, i) => renderSampleImage(i, SIDE));
  const split = assignSplits(
    images.map((i) => i.name),
    { seed: 42 },
  ).split; // the page's split
  const pixels = new Uint8Array(n * SIDE * SIDE * 3);
  images.forEach((im, i) => pixels.set(im.pixels, i * SIDE * SIDE * 3));
  return {
    name: 'Synthetic shapes (built-in sample)',
    imageSize: SIDE,
    pixels,
    imageNames: images.map((i) => i.name),
    imageSplit: Uint8Array.from(images, (im) => SPLIT_CODE[split.get(im.name)!]),
    captions: images.flatMap((im, i) => im.captions.map((text) => ({ image: i, text }))),
  };
}

/** P(true caption scores above its swapped twin) over val images with a two-shape relation caption. */
async function swapTest(session: ModelSession, data: TrainingSet): Promise<{ accuracy: number; pairs: number }> {
  let wins = 0;
  let pairs = 0;
  const per = SIDE * SIDE * 3;
  for (let i = 0; i < data.imageNames.length && pairs < 300; i++) {
    if (data.imageSplit[i] !== SPLIT_CODE.val) continue;
    const caption = data.captions.find((c) => c.image === i && RELATION.test(c.text))?.text;
    const m = caption && RELATION.exec(caption);
    if (!caption || !m) continue;
    const [left, right] = [caption.slice(0, m.index), caption.slice(m.index + m[0].length)];
    const swapped = `${right.replace(/^an? /, 'a ')}${m[0]}${left.replace(/^an? /, 'a ')}`;
    const rows = await session.score(data.pixels.subarray(i * per, (i + 1) * per), SIDE, [caption, swapped]);
    wins += rows[0].cosine > rows[1].cosine ? 1 : rows[0].cosine === rows[1].cosine ? 0.5 : 0;
    pairs++;
  }
  return { accuracy: wins / Math.max(pairs, 1), pairs };
}

const steps = Number(process.argv.find((a) => a.startsWith('--steps='))?.slice(8) ?? 1500);
const info = await setupNodeBackend('wasm', { matMulGrad: 'explicit-transpose' });
const data = sampleSet();
console.log(`word-order benchmark: tiny preset, ${steps} steps, ${info.name}, sample of ${data.imageNames.length} images`);
const rows: string[] = [];
for (const textEncoder of ['conv', 'bow'] as TextEncoderKind[]) {
  const config = withOverrides('tiny', {
    textEncoder,
    epochs: 50,
    evalEveryEpoch: false,
    maxEvalImages: 200,
    checkpointEverySteps: 1_000_000,
  });
  const ctrl = new AbortController();
  const t0 = performance.now();
  const ckpt = await runTraining(data, config, {
    signal: ctrl.signal,
    convImpl: info.convImpl,
    callbacks: { onStep: (m) => m.step >= steps && ctrl.abort() },
  });
  const session = await ModelSession.fromCheckpoint(ckpt, info.convImpl);
  const prep = prepareData(data, config, ckpt.vocab);
  const ev = (await evaluate(session.model, prep.evalSet, {
    step: ckpt.step,
    epoch: ckpt.epoch,
    batchSize: config.batchSize,
    seed: config.seed,
  })) as EvalMetrics;
  const swap = await swapTest(session, data);
  session.dispose();
  const secs = (performance.now() - t0) / 1000;
  const row = `| ${textEncoder} | ${ckpt.step} | ${secs.toFixed(0)} | ${ev.images} | ${ev.i2t.r1.toFixed(3)} / ${ev.i2t.r5.toFixed(3)} / ${ev.i2t.r10.toFixed(3)} | ${ev.t2i.r1.toFixed(3)} / ${ev.t2i.r5.toFixed(3)} / ${ev.t2i.r10.toFixed(3)} | ${swap.accuracy.toFixed(3)} (${swap.pairs}) |`;
  console.log(row);
  rows.push(row);
}
const header =
  '| text encoder | steps | s | val images | i2t R@1 / R@5 / R@10 | t2i R@1 / R@5 / R@10 | swap test: true > swapped (pairs) |\n|---|---|---|---|---|---|---|';
const os = await import('node:os');
const md = [
  '# Word-order benchmark (`npm run bench:word-order`)',
  '',
  `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ${info.name}; tiny preset, seed 1, ${steps} steps each, built-in synthetic sample at ${SIDE} px (the page's split).`,
  '',
  header,
  ...rows,
  '',
  'Swap test: for val images with a two-shape relation caption, the share where the true caption has a higher cosine than the same caption with the two shapes swapped; a bag of words scores both the same (0.5).',
  '',
].join('\n');
const { writeFileSync } = await import('node:fs');
writeFileSync(new URL('./results/word-order.md', import.meta.url), md);
console.log(
  '\n| text encoder | steps | s | val images | i2t R@1 / R@5 / R@10 | t2i R@1 / R@5 / R@10 | swap test: true > swapped (pairs) |\n|---|---|---|---|---|---|---|',
);
console.log(rows.join('\n'));
