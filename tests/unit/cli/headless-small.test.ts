// The headless trainer on small folders and its choice of checkpoint: a folder that cannot train
// stops before training with the page's message (and `npm run train` exits non-zero), a batch size
// above the training images is clamped with the note logged, and --out gets the best checkpoint by
// val mean R@5 (or the last with --last), the log saying which.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import pngjs from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { renderSampleImage } from '../../../src/data/sample';
import { BatchError } from '../../../src/data/batches';
import { decodeModelFile } from '../../../src/io/modelFile';
import { bestEval } from '../../../src/train/checkpointSelect';
import type { Checkpoint, EvalMetrics } from '../../../src/train/types';
import { chooseCheckpoint, isBestSoFar, trainFolder } from '../../../cli/headless';

const tmp = mkdtempSync(join(tmpdir(), 'clip-lab-headless-'));
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await tf.setBackend('cpu');
});

/** A Kaggle-layout folder of the first `n` synthetic sample images as PNGs (seeded 80/10/10 split). */
function sampleFolder(n: number): string {
  const dir = join(tmp, `sample-${n}`);
  mkdirSync(join(dir, 'Images'), { recursive: true });
  const lines = ['image,caption'];
  for (let i = 0; i < n; i++) {
    const img = renderSampleImage(i, 64, 0);
    const png = new pngjs.PNG({ width: 64, height: 64 });
    for (let p = 0; p < 64 * 64; p++) png.data.set([...img.pixels.subarray(3 * p, 3 * p + 3), 255], 4 * p);
    writeFileSync(join(dir, 'Images', img.name), pngjs.PNG.sync.write(png));
    for (const c of img.captions) lines.push(`${img.name},"${c.replace(/"/g, '""')}"`);
  }
  writeFileSync(join(dir, 'captions.txt'), `${lines.join('\n')}\n`);
  return dir;
}

function evalAt(step: number, meanR5: number): EvalMetrics {
  const scores = { r1: 0, r5: meanR5, r10: 1, medianRank: 1 };
  return { step, epoch: step, valLoss: 1, i2t: scores, t2i: scores, matchAcc: null, auc: null, match: null, images: 4, captions: 8 };
}
/** A checkpoint at `step` whose history holds evaluations with these mean R@5 values at these steps. */
function ckptAt(step: number, evals: [number, number][]): Checkpoint {
  return { step, history: { steps: [], evals: evals.filter(([s]) => s <= step).map(([s, v]) => evalAt(s, v)) } } as unknown as Checkpoint;
}

describe('chooseCheckpoint', () => {
  const rising: [number, number][] = [
    [3, 0.2],
    [6, 0.4],
    [9, 0.6],
  ];
  const peaked: [number, number][] = [
    [3, 0.2],
    [6, 0.5],
    [9, 0.3],
  ];
  it.each([
    // name, evals, kept best step (null: none), keepLast, written step, which, reason pattern
    ['the last is the best', rising, 9, false, 9, 'best', /which is the last \(step 9, 0\.600\)/],
    ['an earlier evaluation is the best', peaked, 6, false, 6, 'best', /step 6 \(0\.500\); the last, step 9, scored 0\.300/],
    ['--last, the best earlier', peaked, 6, true, 9, 'last', /as --last asks; the best by val mean R@5 was step 6 \(0\.500\)/],
    ['--last, the last is the best', rising, 9, true, 9, 'last', /as --last asks$/],
    ['never evaluated', [], null, false, 9, 'last', /never evaluated/],
  ] as const)('%s', (_name, evals, keptStep, keepLast, step, which, reason) => {
    const last = ckptAt(9, [...evals]);
    const kept = keptStep === null ? null : ckptAt(keptStep, [...evals]);
    const chosen = chooseCheckpoint(last, kept, keepLast);
    expect(chosen.checkpoint.step).toBe(step);
    expect(chosen.which).toBe(which);
    expect(chosen.reason).toMatch(reason);
  });

  it('refuses to pass the last off as the best when the best checkpoint was not kept', () => {
    expect(() =>
      chooseCheckpoint(
        ckptAt(9, [
          [3, 0.2],
          [6, 0.5],
          [9, 0.3],
        ]),
        null,
      ),
    ).toThrow(/best evaluation is at step 6 but its checkpoint was not kept/);
  });

  it.each([
    [
      'taken right after the best evaluation',
      6,
      [
        [3, 0.2],
        [6, 0.5],
      ],
      true,
    ],
    [
      'taken right after a worse evaluation',
      9,
      [
        [3, 0.2],
        [6, 0.5],
        [9, 0.3],
      ],
      false,
    ],
    [
      'taken between evaluations',
      7,
      [
        [3, 0.2],
        [6, 0.5],
      ],
      false,
    ],
    ['before any evaluation', 2, [], false],
  ] as const)('isBestSoFar: %s', (_name, step, evals, expected) => {
    expect(
      isBestSoFar(
        ckptAt(
          step,
          evals.map(([s, v]) => [s, v] as [number, number]),
        ),
      ),
    ).toBe(expected);
  });
});

describe('trainFolder on small folders', () => {
  it("a 1-image folder cannot train: BatchError with the page's message, nothing written", async () => {
    const out = join(tmp, 'none.clip.safetensors');
    const err = await trainFolder({ data: sampleFolder(1), preset: 'tiny', steps: 2, backend: 'cpu', out }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BatchError);
    expect((err as BatchError).code).toBe('too-few-images');
    expect((err as Error).message).toMatch(
      /This dataset cannot train: contrastive training needs at least 2 training images with captions, found [01]/,
    );
    expect(() => readFileSync(out)).toThrow();
  });

  it('npm run train exits non-zero with the reason on a folder that cannot train', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'cli/train.ts', '--data', sampleFolder(1), '--backend', 'cpu', '--steps', '1'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^BatchError \(too-few-images\): This dataset cannot train/);
  }, 60_000);

  it('a 12-image folder trains tiny with its batch clamped 16 → its training images, the note logged', async () => {
    const lines: string[] = [];
    const r = await trainFolder({ data: sampleFolder(12), preset: 'tiny', steps: 2, backend: 'cpu', log: (l) => lines.push(l) });
    const train = r.data.plan.images.filter((i) => i.split === 'train').length;
    expect(train).toBeLessThan(16);
    expect(r.checkpoint.config.batchSize).toBe(train);
    expect(r.notes[0]).toBe(
      `Batch size 16 → ${train}: the training split has ${train} distinct images, and a batch holds one caption per image.`,
    );
    expect(lines).toContain(`note: ${r.notes[0]}`);
    expect(r.checkpoint.step).toBe(2);
  }, 60_000);

  it('writes the best checkpoint by val mean R@5 to --out, or the last with keepLast, and says which', async () => {
    const data = sampleFolder(60);
    const run = async (keepLast: boolean) => {
      const out = join(tmp, `${keepLast ? 'last' : 'best'}.clip.safetensors`);
      const lines: string[] = [];
      const r = await trainFolder({ data, preset: 'tiny', epochs: 4, backend: 'cpu', out, keepLast, log: (l) => lines.push(l) });
      return { r, file: decodeModelFile(readFileSync(out)), wrote: lines.find((l) => l.startsWith(`wrote ${out}`))! };
    };
    const best = await run(false);
    const evals = best.r.checkpoint.history.evals;
    expect(evals).toHaveLength(4); // one per epoch
    const b = bestEval(evals, 'meanR5')!;
    expect(best.file.step).toBe(b.step);
    expect(best.file.history.evals.at(-1)!.step).toBe(b.step); // its own history ends at its evaluation
    expect(best.r.savedWhich).toBe('best');
    expect(best.wrote).toMatch(/the best checkpoint by val mean R@5/);
    expect(best.file.calibration?.step).toBe(b.step); // the calibration of its own weights
    const last = await run(true);
    expect(last.file.step).toBe(last.r.checkpoint.step);
    expect(last.r.checkpoint.step).toBe(best.r.checkpoint.step); // same seed, same run
    expect(last.wrote).toMatch(/the last checkpoint \(step \d+\), as --last asks/);
  }, 120_000);
});
