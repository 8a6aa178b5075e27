// Calibration of the match classifier, in plain JS float64: Platt scaling (P = sigmoid(a·z + b)
// fitted to val logits by Newton's method on the mean NLL), expected calibration error and
// reliability bins over equal-width confidence bins, and the verdict bands shown under a score.

export interface PlattParams {
  a: number; // slope on the raw logit
  b: number; // offset
}

/** The identity calibration: P = sigmoid(z). */
export const IDENTITY_PLATT: Readonly<PlattParams> = Object.freeze({ a: 1, b: 0 });

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** log(1 + exp(x)) without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** Calibrated P(match) of one raw classifier logit. */
export function plattProbability(logit: number, p: PlattParams): number {
  return sigmoid(p.a * logit + p.b);
}

/** Calibrated P(match) of every logit. */
export function applyPlatt(logits: ArrayLike<number>, p: PlattParams): Float64Array {
  return Float64Array.from({ length: logits.length }, (_, i) => plattProbability(logits[i], p));
}

/** Mean negative log-likelihood of labels {0, 1} under P = sigmoid(a·z + b). */
export function plattNll(logits: ArrayLike<number>, labels: ArrayLike<number>, p: PlattParams = IDENTITY_PLATT): number {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const s = p.a * logits[i] + p.b;
    sum += labels[i] === 1 ? softplus(-s) : softplus(s); // -log sigmoid(s) or -log(1 - sigmoid(s))
  }
  return sum / logits.length;
}

export interface PlattFit extends PlattParams {
  nllBefore: number; // mean NLL of sigmoid(z) itself
  nll: number; // mean NLL after the fit
  iterations: number;
}

/**
 * Fits P = sigmoid(a·z + b) to raw logits z and labels {0, 1} by minimising the mean NLL with
 * Newton steps (2×2 Hessian) and step halving, from a = 1, b = 0. A tiny ridge on a keeps the
 * Hessian invertible when the data separate (then a grows, slowly, until maxIterations).
 */
export function fitPlatt(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  opts: { maxIterations?: number; tolerance?: number } = {},
): PlattFit {
  const n = logits.length;
  if (n !== labels.length) throw new RangeError(`fitPlatt: expected as many labels as logits (${n}), found ${labels.length}`);
  const nllBefore = n === 0 ? NaN : plattNll(logits, labels);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] === 1 ? 1 : 0;
  if (positives === 0 || positives === n) return { ...IDENTITY_PLATT, nllBefore, nll: nllBefore, iterations: 0 };
  const ridge = 1e-9;
  const maxIterations = opts.maxIterations ?? 200;
  const tolerance = opts.tolerance ?? 1e-12;
  let p: PlattParams = { ...IDENTITY_PLATT };
  let f = plattNll(logits, labels, p) + (ridge / 2) * p.a * p.a;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    let ga = ridge * p.a;
    let gb = 0;
    let haa = ridge;
    let hab = 0;
    let hbb = 0;
    for (let i = 0; i < n; i++) {
      const z = logits[i];
      const q = sigmoid(p.a * z + p.b);
      const r = (q - (labels[i] === 1 ? 1 : 0)) / n; // d NLL / d s
      const w = (q * (1 - q)) / n; // d² NLL / d s²
      ga += r * z;
      gb += r;
      haa += w * z * z;
      hab += w * z;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    // Newton direction, or plain gradient descent if the Hessian is (numerically) singular.
    const [da, db] = det > 1e-300 ? [(hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det] : [ga, gb];
    let t = 1;
    let next: PlattParams = p;
    let fNext = f;
    for (let halvings = 0; halvings < 40; halvings++, t /= 2) {
      next = { a: p.a - t * da, b: p.b - t * db };
      fNext = plattNll(logits, labels, next) + (ridge / 2) * next.a * next.a;
      if (fNext <= f) break;
    }
    if (!(fNext <= f)) break; // no descent left: converged to rounding
    const done = f - fNext < tolerance;
    p = next;
    f = fNext;
    if (done) {
      iterations++;
      break;
    }
  }
  return { a: p.a, b: p.b, nllBefore, nll: plattNll(logits, labels, p), iterations };
}

export interface ReliabilityBin {
  lower: number; // confidence range [lower, upper); the last bin includes 1
  upper: number;
  count: number;
  meanConfidence: number; // mean predicted P(match) in the bin; NaN when empty
  accuracy: number; // share of true matches in the bin; NaN when empty
}

/** Equal-width bins of predicted P(match) over [0, 1]: per bin its count, mean confidence and accuracy. */
export function reliabilityBins(probabilities: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): ReliabilityBin[] {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`reliabilityBins: expected an integer number of bins >= 1, found ${bins}`);
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const hits = new Float64Array(bins);
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i];
    const k = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    count[k]++;
    conf[k] += p;
    hits[k] += labels[i] === 1 ? 1 : 0;
  }
  return Array.from({ length: bins }, (_, k) => ({
    lower: k / bins,
    upper: (k + 1) / bins,
    count: count[k],
    meanConfidence: count[k] > 0 ? conf[k] / count[k] : NaN,
    accuracy: count[k] > 0 ? hits[k] / count[k] : NaN,
  }));
}

/** Expected calibration error: Σ over equal-width bins of (bin count / N) · |accuracy − mean confidence|. */
export function expectedCalibrationError(probabilities: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): number {
  const n = probabilities.length;
  if (n === 0) return NaN;
  let ece = 0;
  for (const bin of reliabilityBins(probabilities, labels, bins)) {
    if (bin.count > 0) ece += (bin.count / n) * Math.abs(bin.accuracy - bin.meanConfidence);
  }
  return ece;
}

export type VerdictKind = 'match' | 'unsure' | 'no-match';

export interface Verdict {
  kind: VerdictKind;
  label: 'Match' | 'Unsure' | 'No match';
  explanation: string; // one line, shown under the score
}

/** Calibrated P(match) at or above which a pair reads "Match", and at or below which "No match". */
export const VERDICT_BANDS = Object.freeze({ match: 0.7, noMatch: 0.3 });

/**
 * The verdict for a calibrated P(match), with a one-line explanation of what the number means.
 * `calibration` says how it was calibrated: 'stacked' (the classifier's logit and the cosine,
 * model/stackedCalibration.ts), 'platt' (the logit alone), true (unspecified), or false / null
 * when the classifier has no fitted calibration yet.
 */
export function matchVerdict(probability: number, calibration: boolean | 'stacked' | 'platt' | null = true): Verdict {
  const pct = Math.round(probability * 100);
  const bands = `Match ≥ ${VERDICT_BANDS.match}, No match ≤ ${VERDICT_BANDS.noMatch}`;
  const how =
    calibration === 'stacked'
      ? ' weighs the classifier and the cosine, calibrated on the validation split'
      : calibration === 'platt'
        ? ' is the classifier, calibrated on the validation split'
        : '';
  const meaning = calibration
    ? `of held-out pairs scored like this, about ${pct} in 100 truly matched`
    : 'uncalibrated: the model has no fitted calibration yet, read it as a ranking only';
  if (!(probability >= 0 && probability <= 1)) throw new RangeError(`matchVerdict: expected a probability in [0, 1], found ${probability}`);
  const explanation = `P(match) ${probability.toFixed(2)}${how}: ${meaning} (${bands}).`;
  if (probability >= VERDICT_BANDS.match) return { kind: 'match', label: 'Match', explanation };
  if (probability <= VERDICT_BANDS.noMatch) return { kind: 'no-match', label: 'No match', explanation };
  return { kind: 'unsure', label: 'Unsure', explanation };
}
