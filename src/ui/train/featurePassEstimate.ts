// What the pretrained tower costs before its first epoch, in plain words for the Train form: one
// pass of the backbone over every stored image (twice with mirrored images), at the speeds
// measured on a CPU. Pure: numbers in, a sentence out.

/**
 * Image views per second of a MobileNetV2-size backbone on wasm, one thread, JPEG decode included:
 * 9 on an idle 2-core machine (e2e backbone.test.ts, bench:ratio-pretrained 7.6-7.9), 2 under heavy
 * load (BENCHMARKS.md quality run, 1.8). A real GPU (webgpu) is faster.
 */
export const CPU_VIEWS_PER_SECOND = { slow: 2, fast: 9 } as const;

/** A duration as a person would say it: "under a minute", "12 min", "2.3 h". */
export function roughDuration(seconds: number): string {
  if (seconds < 60) return 'under a minute';
  if (seconds < 3600) return `${Math.ceil(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** "2,000 images × 2 views: about 8 min to 34 min on a CPU, once per dataset and backbone (less with a GPU)". */
export function featurePassEstimate(images: number, views: number): string {
  const n = images * views;
  const fast = roughDuration(n / CPU_VIEWS_PER_SECOND.fast);
  const slow = roughDuration(n / CPU_VIEWS_PER_SECOND.slow);
  const UNDER = roughDuration(0);
  const span = slow === UNDER ? UNDER : fast === UNDER ? `up to ${slow}` : fast === slow ? `about ${fast}` : `about ${fast} to ${slow}`;
  const what = `${images.toLocaleString('en-US')} ${images === 1 ? 'image' : 'images'}${views > 1 ? ` × ${views} views` : ''}`;
  return `${what}: ${span} on a CPU, once per dataset and backbone (less with a GPU)`;
}
