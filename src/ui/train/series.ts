// Chart series helpers: exponential smoothing (downsampling is io/modelFileMetadata's downsample).

/** Exponential moving average with bias correction (as TensorBoard's smoothing). */
export function smooth(values: number[], weight = 0.9): number[] {
  let last = 0;
  return values.map((v, i) => {
    last = last * weight + (1 - weight) * v;
    return last / (1 - weight ** (i + 1));
  });
}
