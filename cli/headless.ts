// The headless trainer: a dataset folder in, the page's model file out. Loads and decodes the
// folder (./dataset), trains with the app's own runTraining for a number of epochs or steps,
// evaluates on val at the end (the trainer does), and encodes the result with encodeModelFile so the page imports it.

import { writeFileSync } from 'node:fs';
import { withOverrides, type PresetName, type TrainConfig } from '../src/config';
import { encodeModelFile } from '../src/io/modelFile';
import { runTraining } from '../src/train/trainer';
import type { Checkpoint, EvalMetrics, StepMetrics, TrainPhase } from '../src/train/types';
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
  limitImages?: number; // keep only the first N images of the folder (quick runs)
  loaded?: LoadedFolder; // the folder already loaded (several runs on one dataset); `data` is then only its name
  stepMetricsEvery?: number;
  log?: (line: string) => void;
  onStep?: (m: StepMetrics) => void;
}

export interface HeadlessResult {
  checkpoint: Checkpoint;
  backend: NodeBackendInfo;
  data: Pick<LoadedFolder, 'plan' | 'skipped'> & { images: number; captions: number; loadSeconds: number };
  finalEval: EvalMetrics | null;
  trainSeconds: number;
  bytes: Uint8Array; // the encoded model file
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

  const config = withOverrides(opts.preset, { ...opts.overrides, ...(opts.epochs ? { epochs: opts.epochs } : {}) });
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
    },
  });
  const trainSeconds = (performance.now() - t1) / 1000;

  // The trainer evaluated the last weights (epochs or --steps alike).
  const finalEval = checkpoint.history.evals.at(-1) ?? null;
  if (!finalEval) log('eval: fewer than 2 val images with captions; skipped');

  const bytes = encodeModelFile(checkpoint, { pipeline: 'node' }); // its pixels: jpeg-js + exact area average (./image.ts)
  if (opts.out) {
    writeFileSync(opts.out, bytes);
    log(`wrote ${opts.out} (${(bytes.length / 2 ** 20).toFixed(2)} MiB, step ${checkpoint.step})`);
  }
  return {
    checkpoint,
    backend,
    finalEval,
    trainSeconds,
    bytes,
    data: { plan, skipped, images: set.imageNames.length, captions: set.captions.length, loadSeconds },
  };
}
