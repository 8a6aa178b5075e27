// bench:quality's pretrained-tower row: cached MobileNetV2 1.4 features of flickr8k-224 (the pass
// runs once, bench/lib/featureData.ts), the feature head + text tower trained with early stopping
// on dev mean R@5 (its best epoch kept), the match classifier fitted on the frozen embeddings
// (matchFit.ts), then the lab's evaluation on dev, plain view, and on dev features of the 128-px
// copies the page stores.

import os from 'node:os';
import type { QualityEval, QualityRow } from '../quality';
import { loadFeatureData } from './featureData';
import { evaluateFeatureModel } from './featureEval';
import { BASE_HEAD, trainVariant, type HeadVariant } from './featureTrain';
import { fitMatchHead, MATCH_FIT, prepareMatchFit, type MatchFitOptions } from './matchFit';

/** The recipe the row trains: the best of bench:backbone's variants on all 6,000 images. */
export const PRETRAINED_HEAD: HeadVariant = {
  ...BASE_HEAD,
  name: 'linear-bow-drop-flip',
  dropout: 0.5,
  flipAugment: true,
  matchHead: 'residual',
  matchHidden: 256,
};

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x.toFixed(3));

/** One line: R@1/5/10 both ways, classifier AUCs beside cosine's and the calibrated score's, ECE before and after calibration. */
export function describe(e: QualityEval): string {
  const m = e.match;
  return (
    `i2t ${f3(e.i2t.r1)}/${f3(e.i2t.r5)}/${f3(e.i2t.r10)} med ${e.i2t.medianRank}, t2i ${f3(e.t2i.r1)}/${f3(e.t2i.r5)}/${f3(e.t2i.r10)} med ${e.t2i.medianRank}` +
    (m
      ? ` | AUC random ${f3(m.aucRandom)} (cos ${f3(m.cosineAucRandom)}, calibrated ${f3(m.calibratedAucRandom)}), hardest ${f3(m.aucHard)} (cos ${f3(m.cosineAucHard)}, calibrated ${f3(m.calibratedAucHard)}), ECE ${f3(m.ece)} -> ${f3(m.eceCalibrated)}`
      : '')
  );
}

export async function pretrainedRow(
  data: string,
  opts: {
    trainImages: number;
    log: (l: string) => void;
    head?: Partial<HeadVariant>;
    match?: Partial<MatchFitOptions>;
    alternatives?: Partial<MatchFitOptions>[]; // other classifier fits on the same trained encoders, reported in `extra`
  },
): Promise<QualityRow & { extra: Record<string, unknown> }> {
  const startedAt = new Date().toISOString();
  const loadAverage = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const t0 = performance.now();
  const head = { ...PRETRAINED_HEAD, ...opts.head };
  const fit = { ...MATCH_FIT, ...opts.match };
  const d = await loadFeatureData(data, {
    trainImages: opts.trainImages,
    withFlip: head.flipAugment,
    devFlip: true,
    dev128: true,
    log: opts.log,
  });
  const r = await trainVariant(head, d.train, { ...d.val, flip: null }, d.tokenizer, opts.log, { keep: true });
  const untrained = await r.model.getWeights(); // restored after each alternative fit
  const prepared = await prepareMatchFit(r.model, d.train, fit.hardPool, opts.log);
  const alternatives: { options: MatchFitOptions; eval: QualityEval; seconds: number }[] = [];
  for (const alt of opts.alternatives ?? []) {
    const options = { ...fit, ...alt };
    const t = await fitMatchHead(r.model, d.train, options, opts.log, prepared);
    alternatives.push({ options, eval: await evaluateFeatureModel(r.model, d.val, { seed: 1 }), seconds: t.seconds });
    opts.log(`alternative ${JSON.stringify(alt)}: ${describe(alternatives.at(-1)!.eval)}`);
    r.model.setWeights(untrained);
  }
  const m = await fitMatchHead(r.model, d.train, fit, opts.log, prepared);
  const evalDev = await evaluateFeatureModel(r.model, d.val, { seed: 1 });
  opts.log(`row: ${describe(evalDev)}`);
  const evalTta = await evaluateFeatureModel(r.model, d.val, { seed: 1, tta: true });
  const eval128 = d.val128 ? await evaluateFeatureModel(r.model, d.val128, { seed: 1 }) : null;
  r.model.dispose();
  const secondsPerEpoch = r.trainSeconds / r.epochs.length;
  return {
    name: 'pretrained',
    tower: `${d.identity.name}, frozen (${d.identity.featureSize}-d features, cached)`,
    recipe:
      `${head.hidden ? `MLP ${head.hidden}` : 'linear'} head, dropout ${head.dropout}, ${head.textEncoder} text, wd ${head.weightDecay}` +
      `${head.flipAugment ? ', flipped views' : ''}; best of ${r.epochs.length} epochs by dev mean R@5 (epoch ${r.best.epoch}); ` +
      `classifier '${head.matchHead}' ${head.matchHidden} fitted on frozen embeddings: ${fit.epochs} epochs, ${fit.negatives} negatives per positive (${fit.hardShare * 100}% hard of top ${fit.hardPool}), lr ${fit.learningRate}`,
    backend: d.backend,
    trainImages: d.trainImages,
    steps: r.stepsPerEpoch * r.epochs.length + m.steps,
    wallSeconds: (performance.now() - t0) / 1000,
    prepSeconds: d.stats.seconds,
    prepImages: d.stats.images,
    trainSeconds: r.trainSeconds + m.seconds,
    secondsPerEpoch,
    eval: evalDev,
    evalAt128: eval128,
    startedAt,
    loadAverage,
    notes: [
      `feature pass ${(d.stats.images / d.stats.seconds).toFixed(1)} images/s over ${d.stats.images} image views (${d.views.join(', ')}; decode + backbone, wasm 1 thread, as recorded when each chunk was computed, ${d.stats.computedNow} now)`,
      `dev features from 128-px copies: ${d.stats128.images} images at ${(d.stats128.images / Math.max(d.stats128.seconds, 1e-9)).toFixed(1)} images/s`,
      `head training ${r.trainSeconds.toFixed(0)} s (${secondsPerEpoch.toFixed(1)} s/epoch of ${r.stepsPerEpoch} steps), classifier fit ${m.seconds.toFixed(0)} s`,
      `test-time mean of plain + flipped dev views: i2t R@1 ${evalTta.i2t.r1.toFixed(3)} R@10 ${evalTta.i2t.r10.toFixed(3)}, t2i R@1 ${evalTta.t2i.r1.toFixed(3)} R@10 ${evalTta.t2i.r10.toFixed(3)}`,
    ],
    extra: { epochs: r.epochs, matchLosses: m.losses, tta: evalTta, alternatives },
  };
}
