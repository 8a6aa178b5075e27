// Mean and max absolute difference, in levels (0-255), between two lists of same-size pixel arrays:
// how far one decode/resample path's stored copies are from another's (bench/jpeg-scaled.ts, its page).

export function levelDiff(a: readonly Uint8Array[], b: readonly Uint8Array[]): { mean: number; max: number } {
  if (a.length !== b.length) throw new RangeError(`levelDiff: expected as many images on both sides, found ${a.length} and ${b.length}`);
  let sum = 0;
  let max = 0;
  let n = 0;
  a.forEach((x, i) => {
    if (x.length !== b[i].length)
      throw new RangeError(`levelDiff: image ${i}: expected ${x.length} bytes on both sides, found ${b[i].length}`);
    x.forEach((v, k) => {
      const d = Math.abs(v - b[i][k]);
      sum += d;
      max = Math.max(max, d);
      n++;
    });
  });
  return { mean: n === 0 ? 0 : sum / n, max };
}
