// Summary statistics for benchmark samples: median and spread (min, max, and the relative half-range).

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  spread: number; // (max - min) / 2 / median: ± this fraction around the median
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { n: 0, median: NaN, min: NaN, max: NaN, spread: NaN };
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { n: s.length, median, min: s[0], max: s[s.length - 1], spread: (s[s.length - 1] - s[0]) / 2 / median };
}
