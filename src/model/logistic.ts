// Logistic regression in plain JS float64: P = sigmoid(w·x + b) fitted to labels {0, 1} by Newton's
// method (IRLS) on the mean NLL plus a small L2 penalty on w, on standardised inputs (so the
// penalty does not depend on each input's units), with step halving. What the stacked calibration
// of the match classifier (calibration.ts) fits; Platt scaling is its one-input case.

export interface LogisticModel {
  weights: number[]; // one per input, on the inputs' own scale
  bias: number;
}

export interface LogisticFit extends LogisticModel {
  nll: number; // mean NLL of the fitted model (penalty excluded)
  iterations: number;
}

/** log(1 + exp(x)) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** w·x + b of row r of `rows` [n, p]. */
export function logisticScore(m: LogisticModel, rows: ArrayLike<number>, r: number): number {
  const p = m.weights.length;
  let s = m.bias;
  for (let k = 0; k < p; k++) s += m.weights[k] * rows[r * p + k];
  return s;
}

/** Mean NLL of labels under P = sigmoid(score) of every row of `rows` [n, p]. */
export function logisticNll(m: LogisticModel, rows: ArrayLike<number>, labels: ArrayLike<number>): number {
  let sum = 0;
  for (let r = 0; r < labels.length; r++) {
    const s = logisticScore(m, rows, r);
    sum += labels[r] === 1 ? softplus(-s) : softplus(s);
  }
  return sum / labels.length;
}

/** Solves A x = y for a symmetric positive definite A [q, q] (Cholesky); null when A is not. */
function solveSpd(A: Float64Array, y: Float64Array, q: number): Float64Array | null {
  const L = new Float64Array(q * q);
  for (let i = 0; i < q; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * q + j];
      for (let k = 0; k < j; k++) s -= L[i * q + k] * L[j * q + k];
      if (i === j) {
        if (!(s > 1e-300)) return null;
        L[i * q + i] = Math.sqrt(s);
      } else L[i * q + j] = s / L[j * q + j];
    }
  }
  const z = new Float64Array(q);
  for (let i = 0; i < q; i++) {
    let s = y[i];
    for (let k = 0; k < i; k++) s -= L[i * q + k] * z[k];
    z[i] = s / L[i * q + i];
  }
  const x = new Float64Array(q);
  for (let i = q - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < q; k++) s -= L[k * q + i] * x[k];
    x[i] = s / L[i * q + i];
  }
  return x;
}

/**
 * Fits P = sigmoid(w·x + b) to rows [n, p] and labels {0, 1}: minimises mean NLL + (l2 / 2)·|w'|²
 * where w' are the weights of the standardised inputs (zero mean, unit variance; a constant input
 * gets weight 0). Starts at w = 0, b = 0; stops when an iteration gains less than `tolerance`.
 */
export function fitLogistic(
  rows: ArrayLike<number>,
  labels: ArrayLike<number>,
  p: number,
  opts: { l2?: number; maxIterations?: number; tolerance?: number } = {},
): LogisticFit {
  const n = labels.length;
  if (rows.length !== n * p)
    throw new RangeError(`fitLogistic: expected ${n} rows of ${p} inputs (${n * p} numbers), found ${rows.length}`);
  const l2 = opts.l2 ?? 1e-4;
  const q = p + 1; // standardised inputs, then the bias
  const mean = new Float64Array(p);
  const std = new Float64Array(p);
  for (let r = 0; r < n; r++) for (let k = 0; k < p; k++) mean[k] += rows[r * p + k] / n;
  for (let r = 0; r < n; r++) for (let k = 0; k < p; k++) std[k] += (rows[r * p + k] - mean[k]) ** 2 / n;
  for (let k = 0; k < p; k++) std[k] = Math.sqrt(std[k]);
  const x = new Float64Array(n * q); // [n, q]
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < p; k++) x[r * q + k] = std[k] > 1e-12 ? (rows[r * p + k] - mean[k]) / std[k] : 0;
    x[r * q + p] = 1;
  }
  const objective = (beta: Float64Array) => {
    let sum = 0;
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let k = 0; k < q; k++) s += beta[k] * x[r * q + k];
      sum += labels[r] === 1 ? softplus(-s) : softplus(s);
    }
    let penalty = 0;
    for (let k = 0; k < p; k++) penalty += beta[k] * beta[k];
    return (n > 0 ? sum / n : 0) + (l2 / 2) * penalty;
  };
  let beta = new Float64Array(q);
  let f = objective(beta);
  let iterations = 0;
  for (; n > 0 && iterations < (opts.maxIterations ?? 100); iterations++) {
    const g = new Float64Array(q);
    const H = new Float64Array(q * q);
    for (let k = 0; k < p; k++) (g[k] = l2 * beta[k]), (H[k * q + k] = l2);
    H[p * q + p] = 1e-12; // keeps H definite when every label is equal
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let k = 0; k < q; k++) s += beta[k] * x[r * q + k];
      const prob = 1 / (1 + Math.exp(-s));
      const res = (prob - (labels[r] === 1 ? 1 : 0)) / n;
      const w = (prob * (1 - prob)) / n;
      for (let i = 0; i < q; i++) {
        g[i] += res * x[r * q + i];
        for (let j = 0; j <= i; j++) H[i * q + j] += w * x[r * q + i] * x[r * q + j];
      }
    }
    for (let i = 0; i < q; i++) for (let j = 0; j < i; j++) H[j * q + i] = H[i * q + j];
    const step = solveSpd(H, g, q) ?? g; // Newton direction, or the gradient if H is not definite
    let t = 1;
    let next = beta;
    let fNext = f;
    for (let halvings = 0; halvings < 40; halvings++, t /= 2) {
      next = beta.map((b, k) => b - t * step[k]);
      fNext = objective(next);
      if (fNext <= f) break;
    }
    if (!(fNext <= f)) break; // no descent left: converged to rounding
    const gain = f - fNext;
    beta = next;
    f = fNext;
    if (gain < (opts.tolerance ?? 1e-12)) {
      iterations++;
      break;
    }
  }
  // Back to the inputs' own scale: w_k = w'_k / std_k, b = b' − Σ w_k·mean_k.
  const weights = Array.from({ length: p }, (_, k) => (std[k] > 1e-12 ? beta[k] / std[k] : 0));
  const bias = beta[p] - weights.reduce((s, w, k) => s + w * mean[k], 0);
  const model = { weights, bias };
  return { ...model, nll: n > 0 ? logisticNll(model, rows, labels) : NaN, iterations };
}
