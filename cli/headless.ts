// The headless trainer: a dataset folder in, the page's model file out. Loads and decodes the
// folder (./dataset), checks that it can train (the page's trainability: too few images stop here,
// a batch size above the training images is clamped with a note), trains with the app's own
// runTraining for a number of epochs or steps, evaluates on val (the trainer does), keeps the best
// checkpoint by val mean R@5 beside the last as the page does, and encodes the best (or with
// `keepLast` the last) with encodeModelFile so the page imports it.

import { writeFileSync } from 'node:fs';
import { withOverrides, type PresetName, type TrainConfig } from '../src/config';
import { encodeModelFile } from '../src/io/modelFile';
import { BatchError, trainability } from '../src/data/batches';
import { bestEval, type BestEval } from '../src/train/checkpointSelect';
import { runTraining } from '../src/train/trainer';
import { TrainError, type Checkpoint, type EvalMetrics, type StepMetrics, type TrainPhase } from '../src/train/types';
import { setupNodeBackend, type NodeBackendInfo } from './backend';
import { loadFolder, type LoadedFolder } from './dataset';

export interface HeadlessOptions {
  data: string; // dataset folder
  preset: PresetName;
  overrides?: Partial<TrainConfig>; // e.g. { textEncoder: 'bow', seed: 2 }
  epochs?: number; // default: the preset's
  steps?: number; // the run's length in optimiser steps (the trainer's maxSteps; evaluates then), instead of epochs
  backend?: string; // 'wasm' (default) | 'cpu' | 'webgpu'
  out?: string; // model file path; nothing written when absent
  keepLast?: boolean; // write the last checkpoint instead of the best by val mean R@5 (--last)
  limitImages?: number; // keep only the first N images of the folder (quick runs)
  loaded?: LoadedFolder; // the folder already loaded (several runs on one dataset); `data` is then only its name
  stepMetricsEvery?: number;
  log?: (line: string) => void;
  onStep?: (m: StepMetrics) => void;
}

export interface HeadlessResult {
  checkpoint: Checkpoint; // the last one
  saved: Checkpoint; // what `bytes` encodes (and `out` holds): the best, the last with keepLast or without an evaluation
  savedWhich: 'best' | 'last';
  savedReason: string; // one line: which checkpoint was written and why
  notes: string[]; // trainability notes: a clamped batch size, no evaluation
  backend: NodeBackendInfo;
  data: Pick<LoadedFolder, 'plan' | 'skipped'> & { images: number; captions: number; loadSeconds: number };
  finalEval: EvalMetrics | null;
  trainSeconds: number;
  bytes: Uint8Array; // the encoded model file (of `saved`)
}

/** As the page ranks checkpoints (src/workers/trainJob.ts): by val mean R@5 over both directions. */
const BEST_BY = 'meanR5';

/** Whether `ckpt` holds the weights of its history's best evaluation so far (taken right after it). */
export function isBestSoFar(ckpt: Checkpoint): boolean {
  const best = bestEval(ckpt.history.evals, BEST_BY);
  return best !== null && best.isLast && best.step === ckpt.step;
}

/**
 * Which checkpoint to write: the best by val mean R@5 (`best`, kept as training went) unless
 * `keepLast`, or the last when the run never evaluated; with a one-line reason for the log.
 */
export function chooseCheckpoint(
  last: Checkpoint,
  best: Checkpoint | null,
  keepLast = false,
): { checkpoint: Checkpoint; which: 'best' | 'last'; reason: string } {
  const b: BestEval | null = bestEval(last.history.evals, BEST_BY);
  const r5 = (x: number) => x.toFixed(3);
  if (keepLast) {
    return {
      checkpoint: last,
      which: 'last',
      reason:
        `the last checkpoint (step ${last.step}), as --last asks` +
        (b && b.step !== last.step ? `; the best by val mean R@5 was step ${b.step} (${r5(b.value)})` : ''),
    };
  }
  if (!b)
    return {
      checkpoint: last,
      which: 'last',
      reason: `the last checkpoint (step ${last.step}): the run never evaluated, so there is no best`,
    };
  if (b.step === last.step)
    return {
      checkpoint: last,
      which: 'best',
      reason: `the best checkpoint by val mean R@5, which is the last (step ${last.step}, ${r5(b.value)})`,
    };
  if (!best || best.step !== b.step)
    throw new TrainError(
      'bad-checkpoint',
      `headless: the best evaluation is at step ${b.step} but its checkpoint was not kept (kept: ${best ? `step ${best.step}` : 'none'})`,
    );
  const lastR5 = (last.history.evals.at(-1)!.i2t.r5 + last.history.evals.at(-1)!.t2i.r5) / 2;
  return {
    checkpoint: best,
    which: 'best',
    reason:
      `the best checkpoint by val mean R@5: step ${b.step} (${r5(b.value)}); ` +
      `the last, step ${last.step}, scored ${r5(lastR5)} (--last writes it)`,
  };
}

const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

export function describeEval(m: EvalMetrics): string {
  return (
    `eval step ${m.step}: val loss ${fmt(m.valLoss)} i2t R@1/5/10 ${fmt(m.i2t.r1)}/${fmt(m.i2t.r5)}/${fmt(m.i2t.r10)} ` +
    `t2i ${fmt(m.t2i.r1)}/${fmt(m.t2i.r5)}/${fmt(m.t2i.r10)} auc ${m.auc === null ? '-' : fmt(m.auc)} (${m.images} images)`
  );
}

/** Trains on a folder and (with `out`) writes the model file; see HeadlessOptions. */
export async function trainFolder(opts: HeadlessOptions): Promise<HeadlessResult> {
  const log = opts.log ?? (() => {});
  const backend = await setupNodeBackend(opts.backend ?? 'wasm');
  log(`backend: ${backend.detail} (convs as ${backend.convImpl})`);

  const t0 = performance.now();
  const loaded =
    opts.loaded ??
    loadFolder(opts.data, {
      limit: opts.limitImages,
      onProgress: (p) => p.done === p.total && log(`decoded ${p.done} images`),
    });
  const loadSeconds = (performance.now() - t0) / 1000;
  const { set, plan, skipped } = loaded;
  const counts = { train: 0, val: 0, test: 0 };
  set.imageSplit.forEach((s) => (s === 0 ? counts.train++ : s === 1 ? counts.val++ : counts.test++));
  log(
    `data: ${set.imageNames.length} images, ${set.captions.length} captions from ${plan.captionFile} (${plan.format}); ` +
      `splits ${counts.train}/${counts.val}/${counts.test} (${plan.splitSource}); ${skipped.length} skipped; ${loadSeconds.toFixed(1)} s`,
  );
  for (const s of skipped.slice(0, 5)) log(`  skipped ${s.name}: ${s.reason}`);

  const asked = withOverrides(opts.preset, { ...opts.overrides, ...(opts.epochs ? { epochs: opts.epochs } : {}) });
  const can = trainability(set.imageSplit, set.captions, asked.batchSize); // as the page asks before it creates a run
  if (!can.ok) throw new BatchError(can.code === 'ok' ? 'too-few-images' : can.code, can.message);
  for (const note of can.notes) log(`note: ${note}`);
  const config = { ...asked, batchSize: can.batch!.batchSize };
  let best: Checkpoint | null = null; // the best by val mean R@5 so far (its weights, cursor and calibration)
  const t1 = performance.now();
  const checkpoint = await runTraining(set, config, {
    maxSteps: opts.steps, // the trainer owns the run's shape: exactly this many steps, whatever the epochs
    convImpl: backend.convImpl,
    stepMetricsEvery: opts.stepMetricsEvery ?? 1,
    datasetName: set.name,
    callbacks: {
      onStart: ({ totalSteps, stepsPerEpoch }) =>
        log(
          `training: preset ${config.preset}, ${config.textEncoder} text, batch ${config.batchSize}, ` +
            `${stepsPerEpoch} steps/epoch, ${totalSteps} steps` +
            (opts.steps ? '' : ` in ${config.epochs} epochs`),
        ),
      onPhase: (phase: TrainPhase, detail?: string) => log(`[${phase}]${detail ? ` ${detail}` : ''}`),
      onStep: (m) => {
        log(
          `step ${m.step} epoch ${m.epoch} loss ${fmt(m.loss)} acc ${fmt(m.accI2T, 2)}/${fmt(m.accT2I, 2)} ` +
            `${fmt(m.pairsPerSec, 1)} pairs/s ${fmt(m.msPerStep, 0)} ms/step`,
        );
        opts.onStep?.(m);
      },
      onEval: (m) => log(describeEval(m)),
      onCheckpoint: (c) => {
        if (isBestSoFar(c)) best = c;
      },
    },
  });
  const trainSeconds = (performance.now() - t1) / 1000;

  // The trainer evaluated the last weights (epochs or --steps alike).
  const finalEval = checkpoint.history.evals.at(-1) ?? null;
  if (!finalEval) log('eval: fewer than 2 val images with captions; skipped');

  const chosen = chooseCheckpoint(checkpoint, best, opts.keepLast);
  const bytes = encodeModelFile(chosen.checkpoint, { pipeline: 'node' }); // its pixels: jpeg-js + exact area average (./image.ts)
  if (opts.out) {
    writeFileSync(opts.out, bytes);
    log(`wrote ${opts.out} (${(bytes.length / 2 ** 20).toFixed(2)} MiB): ${chosen.reason}`);
  }
  return {
    checkpoint,
    saved: chosen.checkpoint,
    savedWhich: chosen.which,
    savedReason: chosen.reason,
    notes: can.notes,
    backend,
    finalEval,
    trainSeconds,
    bytes,
    data: { plan, skipped, images: set.imageNames.length, captions: set.captions.length, loadSeconds },
  };
}
