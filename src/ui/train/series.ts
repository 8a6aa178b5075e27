// Chart series helpers: exponential smoothing and downsampling so charts stay light with long runs.

/** Exponential moving average with bias correction (as TensorBoard's smoothing). */
export function smooth(values: number[], weight = 0.9): number[] {
  let last = 0;
  return values.map((v, i) => {
    last = last * weight + (1 - weight) * v;
    return last / (1 - weight ** (i + 1));
  });
}

/** Keeps at most `max` evenly spaced items, always including the last one. */
export function downsample<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const stride = items.length / max;
  const out: T[] = [];
  for (let i = 0; i < max - 1; i++) out.push(items[Math.floor(i * stride)]);
  out.push(items[items.length - 1]);
  return out;
}
