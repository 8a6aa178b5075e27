// The stacked calibration of the match classifier, in plain JS float64: P(match) =
// sigmoid(wz·z + wc·cos + b) over the head's raw logit z and the plain cosine of the two unit
// embeddings. Fitted in two linear steps (bench/results/stack-calibration.md): a logistic over
// [z, cos] on positives + RANDOM wrong captions only, so the ranking is the one that separates
// true captions from unrelated ones (never worse than cosine's when z adds nothing), then a Platt
// step on that score over ALL val pairs (positives, hardest and random wrong captions), which
// calibrates it to the evaluation's mix without changing the ranking. Fitting the stack on all
// pairs instead learns to push down each image's hardest wrong caption and loses AUC vs random.
// The Platt step keeps a positive slope: where the score falls with the truth over all pairs it is
// fitted on the ranking's pairs instead (never an upside-down P(match)).
// Both steps are logistic fits on standardised inputs with an L2 penalty of max(1e-4, 1/n) on the
// mean NLL (a unit-variance prior on each standardised weight): negligible on thousands of val
// pairs, and on a handful (a 12-image dataset's two val images separate) it keeps the weights finite
// and moderate instead of growing until the iteration cap.

import { sigmoid } from './calibration';
import { fitLogistic } from './logistic';

/** Kinds of classifier pairs (train/evaluate.ts matchPairs). */
export const PAIR_KIND = Object.freeze({ positive: 0, hard: 1, random: 2 });

export interface StackedParams {
  wz: number; // weight of the head's raw logit
  wc: number; // weight of the plain cosine of the unit embeddings
  b: number;
}

/** The fallback when nothing can be fitted: P = sigmoid(z), the raw head. */
export const IDENTITY_STACKED: Readonly<StackedParams> = Object.freeze({ wz: 1, wc: 0, b: 0 });

export interface StackedFit extends StackedParams {
  /** Why the two-step fit was not used: null when it was. */
  fallback: null | 'one-class' | 'non-finite';
}

/** Calibrated P(match) of one pair: sigmoid(wz·z + wc·cos + b). */
export function stackedProbability(z: number, cos: number, p: StackedParams): number {
  return sigmoid(p.wz * z + p.wc * cos + p.b);
}

/** Calibrated P(match) of every pair. */
export function applyStacked(z: ArrayLike<number>, cos: ArrayLike<number>, p: StackedParams): Float64Array {
  return Float64Array.from({ length: z.length }, (_, n) => stackedProbability(z[n], cos[n], p));
}

/** The L2 penalty of a fit on n rows: a unit-variance prior on each standardised weight, at least 1e-4. */
const l2For = (n: number) => Math.max(1e-4, 1 / n);

/**
 * Fits {wz, wc, b} to pairs (raw logit z, cosine, label {0, 1}, kind PAIR_KIND.*): the logistic
 * over [z, cos] on positives and random wrong captions (all pairs when those hold one class only),
 * then Platt scaling of its score on all pairs; the two compose into one linear score. Falls back
 * to IDENTITY_STACKED when the pairs hold one class or any input is not finite. `opts.l2`
 * overrides the penalty of both steps.
 */
export function fitStackedCalibration(
  z: ArrayLike<number>,
  cos: ArrayLike<number>,
  labels: ArrayLike<number>,
  kinds: ArrayLike<number>,
  opts: { l2?: number } = {},
): StackedFit {
  const n = z.length;
  if (cos.length !== n || labels.length !== n || kinds.length !== n)
    throw new RangeError(
      `fitStackedCalibration: expected as many cosines, labels and kinds as logits (${n}), found ${cos.length}, ${labels.length}, ${kinds.length}`,
    );
  for (let k = 0; k < n; k++) {
    if (!Number.isFinite(z[k]) || !Number.isFinite(cos[k])) return { ...IDENTITY_STACKED, fallback: 'non-finite' };
  }
  const twoClasses = (rows: number[]) => rows.some((r) => labels[r] === 1) && rows.some((r) => labels[r] !== 1);
  const all = Array.from({ length: n }, (_, r) => r);
  if (!twoClasses(all)) return { ...IDENTITY_STACKED, fallback: 'one-class' };
  const easy = all.filter((r) => kinds[r] === PAIR_KIND.positive || kinds[r] === PAIR_KIND.random);
  const fitOn = twoClasses(easy) ? easy : all;
  const rows = new Float64Array(fitOn.length * 2); // [m, 2]: z, cos
  fitOn.forEach((r, m) => {
    rows[2 * m] = z[r];
    rows[2 * m + 1] = cos[r];
  });
  const ranking = fitLogistic(
    rows,
    fitOn.map((r) => (labels[r] === 1 ? 1 : 0)),
    2,
    { l2: opts.l2 ?? l2For(fitOn.length) },
  );
  const [w1, w2] = ranking.weights;
  // Platt on all pairs; but where the hardest wrong captions outscore the positives so often that
  // the score falls with the truth over all pairs (a weak model: measured on dev features of 128-px
  // copies, AUC vs random 0.83 but vs hardest 0.02), that fit's slope is negative and would turn the
  // ranking upside down (held-out AUC vs random 0.18): then Platt on the ranking's own pairs.
  const plattOn = (rows: number[]) =>
    fitLogistic(
      Float64Array.from(rows, (r) => w1 * z[r] + w2 * cos[r] + ranking.bias),
      rows.map((r) => (labels[r] === 1 ? 1 : 0)),
      1,
      { l2: opts.l2 ?? l2For(rows.length) },
    );
  let platt = plattOn(all);
  if (platt.weights[0] < 0) platt = plattOn(fitOn);
  const a = platt.weights[0];
  const fit = { wz: a * w1, wc: a * w2, b: a * ranking.bias + platt.bias };
  if (![fit.wz, fit.wc, fit.b].every(Number.isFinite)) return { ...IDENTITY_STACKED, fallback: 'non-finite' };
  return { ...fit, fallback: null };
}
