// Axis tick labels that stay readable: enough significant digits that neighbouring ticks differ
// (a logit scale of 14.2, 14.6 is not "14 14"), and exponent form for tiny values so "0.00075"
// never clips. Pure.

/** Significant digits needed so ticks `step` apart read differently near `v`. */
function digitsFor(v: number, step: number): number {
  if (!(step > 0) || v === 0) return 2;
  return Math.min(6, Math.max(2, Math.floor(Math.log10(Math.abs(v))) - Math.floor(Math.log10(step)) + 1));
}

export function tickLabel(v: number, step = 0): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3)
    return v
      .toExponential(step > 0 ? Math.max(0, digitsFor(v, step) - 1) : 1)
      .replace(/\.0+e/, 'e')
      .replace('e+', 'e');
  const fixed = Number(v.toPrecision(digitsFor(v, step)));
  return fixed.toLocaleString('en-US', { maximumFractionDigits: 6, useGrouping: a >= 1e4 });
}

/** A count with its noun: "1 image", "2 images". */
export function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
