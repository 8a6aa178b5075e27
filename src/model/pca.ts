// Principal component analysis by power iteration with deflation, in plain JS: projects rows of
// X [n, d] onto their top principal directions (for the embedding map). Deterministic: a seeded
// start vector and each direction's sign fixed so its largest-magnitude entry is positive.
import { mulberry32 } from '../data/random';

export interface Pca {
  mean: Float64Array; // [d]
  components: Float64Array[]; // k directions, each [d], unit length, orthogonal
  variance: number[]; // variance along each direction (eigenvalues of the sample covariance)
  projected: Float64Array; // [n, k] coordinates of the rows
}

/** Covariance of the centred rows: C = Xcᵀ Xc / (n - 1), [d, d]. */
function covariance(X: ArrayLike<number>, n: number, d: number, mean: Float64Array): Float64Array[] {
  const C = Array.from({ length: d }, () => new Float64Array(d));
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let a = 0; a < d; a++) row[a] = X[r * d + a] - mean[a];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      const Ca = C[a];
      for (let b = 0; b < d; b++) Ca[b] += ra * row[b];
    }
  }
  const denom = Math.max(1, n - 1);
  for (const Ca of C) for (let b = 0; b < d; b++) Ca[b] /= denom;
  return C;
}

function normalize(v: Float64Array): number {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return norm;
}

/** Top eigenvector of the symmetric matrix C by power iteration; returns [vector, eigenvalue]. */
function topEigen(C: Float64Array[], found: Float64Array[], random: () => number, iterations: number): [Float64Array, number] {
  const d = C.length;
  // Kept orthogonal to the directions already found, so a rank-deficient C still gives a basis.
  const orthogonalize = (w: Float64Array) => {
    for (const u of found) {
      let dot = 0;
      for (let a = 0; a < d; a++) dot += w[a] * u[a];
      for (let a = 0; a < d; a++) w[a] -= dot * u[a];
    }
  };
  let v = Float64Array.from({ length: d }, () => random() - 0.5);
  orthogonalize(v);
  normalize(v);
  let lambda = 0;
  for (let it = 0; it < iterations; it++) {
    const w = new Float64Array(d);
    for (let a = 0; a < d; a++) {
      let s = 0;
      for (let b = 0; b < d; b++) s += C[a][b] * v[b];
      w[a] = s;
    }
    orthogonalize(w);
    lambda = normalize(w);
    if (lambda === 0) break; // no variance left: any unit vector will do
    let change = 0;
    for (let a = 0; a < d; a++) change = Math.max(change, Math.abs(Math.abs(w[a]) - Math.abs(v[a])));
    v = w;
    if (change < 1e-10) break;
  }
  let big = 0;
  for (let a = 0; a < d; a++) if (Math.abs(v[a]) > Math.abs(v[big])) big = a;
  if (v[big] < 0) for (let a = 0; a < d; a++) v[a] = -v[a];
  return [v, lambda];
}

/** PCA of X [n, d] (row-major) onto k ≤ d components. */
export function pca(X: ArrayLike<number>, n: number, d: number, k = 2, opts: { seed?: number; iterations?: number } = {}): Pca {
  if (X.length !== n * d) throw new RangeError(`pca: expected ${n} x ${d} = ${n * d} values, found ${X.length}`);
  if (!(k >= 1 && k <= d)) throw new RangeError(`pca: expected 1 ≤ k ≤ ${d}, found ${k}`);
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let a = 0; a < d; a++) mean[a] += X[r * d + a] / n;
  const C = covariance(X, n, d, mean);
  const random = mulberry32(opts.seed ?? 1);
  const components: Float64Array[] = [];
  const variance: number[] = [];
  for (let c = 0; c < k; c++) {
    const [v, lambda] = topEigen(C, components, random, opts.iterations ?? 500);
    components.push(v);
    variance.push(lambda);
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) C[a][b] -= lambda * v[a] * v[b]; // deflate
  }
  const projected = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let a = 0; a < d; a++) s += (X[r * d + a] - mean[a]) * components[c][a];
      projected[r * k + c] = s;
    }
  }
  return { mean, components, variance, projected };
}
