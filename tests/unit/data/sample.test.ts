// The synthetic sample dataset: deterministic, fast, and every caption true of the pixels
// (colours present, shape kinds and sizes, and spatial relations from pixel centroids).
import { describe, expect, it } from 'vitest';
import { renderSampleImage, SAMPLE_COLORS, SAMPLE_DATASET_NAME, sampleImageCount, sampleScene } from '../../../src/data/sample';

interface Blob {
  count: number;
  cx: number;
  cy: number;
  w: number;
  h: number;
  kind: string;
}

/** Pixels of each shape colour (exact RGB), with centroid, bounding box and a guessed kind. */
function blobs(pixels: Uint8Array, size: number): Map<string, Blob> {
  const found = new Map<string, Blob>();
  for (const [name, [r, g, b]] of Object.entries(SAMPLE_COLORS)) {
    let count = 0,
      sx = 0,
      sy = 0,
      x0 = size,
      x1 = -1,
      y0 = size,
      y1 = -1;
    const at = (x: number, y: number) => {
      const p = (y * size + x) * 3;
      return pixels[p] === r && pixels[p + 1] === g && pixels[p + 2] === b;
    };
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        if (!at(x, y)) continue;
        count++;
        sx += x;
        sy += y;
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
    if (count === 0) continue;
    const w = x1 - x0 + 1,
      h = y1 - y0 + 1;
    const fill = count / (w * h);
    // Triangle and cross fill about half their box; only the cross's arm reaches the left edge.
    const armProbe = at(x0 + Math.floor(w * 0.1), y0 + Math.floor(h * 0.5));
    const kind = fill > 0.95 ? 'square' : fill > 0.7 ? 'circle' : fill < 0.45 ? 'star' : armProbe ? 'cross' : 'triangle';
    found.set(name, { count, cx: sx / count + 0.5, cy: sy / count + 0.5, w, h, kind });
  }
  return found;
}

const COLOR = Object.keys(SAMPLE_COLORS).join('|');
const DESC = `(?:(small|large) )?(${COLOR}) (circle|square|triangle|star|cross)`;
const RELATION = `(left of|right of|above|below|to the left of|to the right of)`;
const SIDE = `(on the left|on the right|at the top|at the bottom)`;

/** Checks every claim a caption makes against the blobs; returns the list of false claims. */
function falseClaims(caption: string, found: Map<string, Blob>, size: number): string[] {
  const bad: string[] = [];
  for (const m of caption.matchAll(new RegExp(DESC, 'g'))) {
    const [, sz, color, kind] = m;
    const blob = found.get(color);
    if (!blob) {
      bad.push(`no ${color} pixels`);
      continue;
    }
    if (blob.kind !== kind) bad.push(`${color} looks like a ${blob.kind}, not a ${kind}`);
    const extent = Math.max(blob.w, blob.h) / size;
    if (sz === 'small' && extent > 0.235) bad.push(`${color} is not small (${extent})`);
    if (sz === 'large' && extent < 0.255) bad.push(`${color} is not large (${extent})`);
  }
  const rel = new RegExp(`an? ${DESC} ${RELATION} an? ${DESC}`).exec(caption);
  if (rel) {
    const a = found.get(rel[2]),
      b = found.get(rel[6]);
    const ok =
      a &&
      b &&
      {
        'left of': a.cx < b.cx,
        'to the left of': a.cx < b.cx,
        'right of': a.cx > b.cx,
        'to the right of': a.cx > b.cx,
        above: a.cy < b.cy,
        below: a.cy > b.cy,
      }[rel[4]];
    if (!ok) bad.push(`relation "${rel[0]}" is false`);
  }
  const side = new RegExp(`an? ${DESC} ${SIDE}`).exec(caption);
  if (side) {
    const a = found.get(side[2]);
    const ok =
      a &&
      { 'on the left': a.cx < size / 2, 'on the right': a.cx > size / 2, 'at the top': a.cy < size / 2, 'at the bottom': a.cy > size / 2 }[
        side[4]
      ];
    if (!ok) bad.push(`"${side[0]}" is false`);
  }
  if (/^two shapes/.test(caption) && found.size !== 2) bad.push(`says two shapes, found ${found.size}`);
  if (/^a single/.test(caption) && found.size !== 1) bad.push(`says one shape, found ${found.size}`);
  return bad;
}

describe('sample dataset', () => {
  it('has a name and 2000 images', () => {
    expect(SAMPLE_DATASET_NAME).toBe('Synthetic shapes (built-in sample)');
    expect(sampleImageCount()).toBe(2000);
  });

  it.each([
    [0, 32],
    [42, 64],
    [1999, 128],
  ])('image %i at %i px: name, pixel length, 5 distinct captions', (index, size) => {
    const img = renderSampleImage(index, size);
    expect(img.name).toBe(`shapes_${String(index).padStart(5, '0')}.png`);
    expect(img.pixels).toBeInstanceOf(Uint8Array);
    expect(img.pixels.length).toBe(size * size * 3);
    expect(img.captions).toHaveLength(5);
    expect(new Set(img.captions).size).toBe(5);
  });

  it.each([0, 7, 1234])('is deterministic for seed %i, and the seed matters', (seed) => {
    const a = renderSampleImage(5, 64, seed);
    const b = renderSampleImage(5, 64, seed);
    expect(b.captions).toEqual(a.captions);
    expect(Buffer.from(b.pixels).equals(Buffer.from(a.pixels))).toBe(true);
    const others = [1, 2, 3].map((d) => renderSampleImage(5, 64, seed + d));
    expect(others.some((o) => !Buffer.from(o.pixels).equals(Buffer.from(a.pixels)))).toBe(true);
  });

  it('every caption of the first 400 images is true of the pixels', () => {
    const size = 128;
    const problems: string[] = [];
    for (let i = 0; i < 400; i++) {
      const img = renderSampleImage(i, size);
      const found = blobs(img.pixels, size);
      for (const caption of img.captions) {
        for (const p of falseClaims(caption, found, size)) problems.push(`${img.name} "${caption}": ${p}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the checker itself catches a swapped relation', () => {
    const index = [...Array(50).keys()].find((i) => sampleScene(i).relation === 'left of');
    expect(index).toBeDefined();
    const img = renderSampleImage(index!, 128);
    const lie = img.captions[0].replace(' left of ', ' right of ');
    expect(falseClaims(lie, blobs(img.pixels, 128), 128)).toEqual([expect.stringMatching(/relation .* is false/)]);
  });

  it('covers every relation, shape, colour and size, with one- and two-shape scenes', () => {
    const seen = new Set<string>();
    for (let i = 0; i < sampleImageCount(); i++) {
      const scene = sampleScene(i);
      seen.add(`n${scene.shapes.length}`);
      if (scene.relation) seen.add(scene.relation);
      for (const s of scene.shapes) seen.add(s.kind).add(s.color).add(s.size);
    }
    const expected = [
      'n1',
      'n2',
      'left of',
      'right of',
      'above',
      'below',
      'circle',
      'square',
      'triangle',
      'star',
      'cross',
      'small',
      'large',
      ...Object.keys(SAMPLE_COLORS),
    ];
    expect([...seen].sort()).toEqual(expected.sort());
  });

  it('the same scene is drawn at any size (centroids agree as fractions)', () => {
    for (let i = 0; i < 20; i++) {
      const small = blobs(renderSampleImage(i, 64).pixels, 64);
      const big = blobs(renderSampleImage(i, 256).pixels, 256);
      expect([...big.keys()]).toEqual([...small.keys()]);
      for (const [color, b] of big) {
        expect(Math.abs(b.cx / 256 - small.get(color)!.cx / 64)).toBeLessThan(0.02);
        expect(Math.abs(b.cy / 256 - small.get(color)!.cy / 64)).toBeLessThan(0.02);
      }
    }
  });

  it('renders 2000 images at 128x128, each its own scene', () => {
    // (how fast is for the benchmarks: wall-clock limits are flaky on a shared machine)
    const sums = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const px = renderSampleImage(i, 128).pixels;
      expect(px.length).toBe(128 * 128 * 3);
      let hash = 2166136261; // FNV-1a over every byte
      for (let k = 0; k < px.length; k++) hash = Math.imul(hash ^ px[k], 16777619);
      sums.add(hash >>> 0);
    }
    expect(sums.size).toBeGreaterThan(1990);
  });

  it.each([
    ['negative index', () => renderSampleImage(-1, 64), /sample index: expected an integer >= 0, found -1/],
    ['fractional index', () => renderSampleImage(1.5, 64), /found 1\.5/],
    ['size too small', () => renderSampleImage(0, 4), /sample image size: expected an integer in \[8, 4096\], found 4/],
    ['fractional size', () => renderSampleImage(0, 64.5), /found 64\.5/],
  ])('rejects a %s', (_name, f, message) => {
    expect(f).toThrow(RangeError);
    expect(f).toThrow(message);
  });
});
