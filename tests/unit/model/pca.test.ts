// PCA by power iteration against hand-worked cases: axis-aligned points (eigenvalues by hand),
// points on a line in 3-D, a rotated cloud checked against the 2x2 closed form, and bad input.
import { describe, expect, it } from 'vitest';
import { pca } from '../../../src/model/pca';

describe('pca', () => {
  it('axis-aligned cross: (±3, 0), (0, ±1) → variances 6 and 2/3 on x then y', () => {
    // mean 0; C = diag(9+9, 1+1) / (4-1) = diag(6, 2/3)
    const { mean, components, variance, projected } = pca([3, 0, -3, 0, 0, 1, 0, -1], 4, 2);
    expect([...mean]).toEqual([0, 0]);
    expect(variance[0]).toBeCloseTo(6, 9);
    expect(variance[1]).toBeCloseTo(2 / 3, 9);
    expect([...components[0]].map((v) => +v.toFixed(9) + 0)).toEqual([1, 0]);
    expect([...components[1]].map((v) => +v.toFixed(9) + 0)).toEqual([0, 1]);
    expect([...projected].map((v) => +v.toFixed(9) + 0)).toEqual([3, 0, -3, 0, 0, 1, 0, -1]);
  });

  it('points on a line t·(1, 2, 2)/3 in 3-D: one direction, coordinates t, no variance left', () => {
    const ts = [-3, -1, 1, 3];
    const X = ts.flatMap((t) => [t / 3, (2 * t) / 3, (2 * t) / 3]);
    const { components, variance, projected } = pca(X, 4, 3, 2);
    expect([...components[0]].map((v) => +v.toFixed(9) + 0)).toEqual([1 / 3, 2 / 3, 2 / 3].map((v) => +v.toFixed(9) + 0));
    expect(variance[0]).toBeCloseTo((9 + 1 + 1 + 9) / 3, 9);
    expect(variance[1]).toBeCloseTo(0, 9);
    ts.forEach((t, r) => expect(projected[2 * r]).toBeCloseTo(t, 9));
    const dot = components[0].reduce((s, v, a) => s + v * components[1][a], 0);
    expect(dot).toBeCloseTo(0, 9); // the second direction is still orthogonal to the first
  });

  it('a correlated 2-D cloud matches the closed-form eigenvalues of its covariance', () => {
    const X = [2, 1, 1, 3, 4, 2, 0, -1, 3, 3, -1, 0];
    const n = 6;
    const mx = X.filter((_, i) => i % 2 === 0).reduce((a, b) => a + b) / n;
    const my = X.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b) / n;
    let sxx = 0,
      syy = 0,
      sxy = 0;
    for (let r = 0; r < n; r++) {
      const [dx, dy] = [X[2 * r] - mx, X[2 * r + 1] - my];
      sxx += (dx * dx) / (n - 1);
      syy += (dy * dy) / (n - 1);
      sxy += (dx * dy) / (n - 1);
    }
    const tr = sxx + syy;
    const det = sxx * syy - sxy * sxy;
    const disc = Math.sqrt((tr * tr) / 4 - det);
    const { variance } = pca(X, n, 2);
    expect(variance[0]).toBeCloseTo(tr / 2 + disc, 8);
    expect(variance[1]).toBeCloseTo(tr / 2 - disc, 8);
  });

  it.each([
    ['too few values', [1, 2, 3], 2, 2, 2, /expected 2 x 2 = 4 values, found 3/],
    ['k above d', [1, 2, 3, 4], 2, 2, 3, /expected 1 ≤ k ≤ 2, found 3/],
  ])('%s → RangeError', (_label, X, n, d, k, message) => {
    expect(() => pca(X, n, d, k)).toThrow(message);
  });
});
