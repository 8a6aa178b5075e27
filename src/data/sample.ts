// The built-in synthetic sample dataset: scenes of one or two coloured shapes, rasterised in
// plain JS from a seed, each with five compositional captions that are true of the pixels.
import { hashString, mulberry32 } from './random';

export const SAMPLE_DATASET_NAME = 'Synthetic shapes (built-in sample)';
const SAMPLE_COUNT = 2000;

export type ShapeKind = 'circle' | 'square' | 'triangle' | 'star' | 'cross';
export type ShapeSize = 'small' | 'large';
export type Relation = 'left of' | 'right of' | 'above' | 'below';

export const SAMPLE_SHAPES: readonly ShapeKind[] = ['circle', 'square', 'triangle', 'star', 'cross'];
/** Shape colours, exact RGB as drawn (no antialiasing), so tests can find each shape's pixels. */
export const SAMPLE_COLORS: Readonly<Record<string, readonly [number, number, number]>> = {
  red: [220, 40, 40],
  green: [40, 180, 60],
  blue: [50, 90, 235],
  yellow: [240, 220, 40],
  purple: [150, 60, 200],
  orange: [245, 140, 30],
  white: [245, 245, 245],
};
const COLOR_NAMES = Object.keys(SAMPLE_COLORS);
/** Dark backgrounds so that every shape colour, white included, stands out. */
const BACKGROUNDS: readonly (readonly [number, number, number])[] = [
  [40, 40, 44],
  [22, 28, 48],
  [34, 44, 30],
  [50, 36, 30],
];
/** Half-extent of a shape as a fraction of the image side. */
const RADIUS: Record<ShapeSize, number> = { small: 0.11, large: 0.18 };

export interface SampleShape {
  kind: ShapeKind;
  color: string;
  size: ShapeSize;
  cx: number; // centre, fractions of the image side; y grows downwards
  cy: number;
}

export interface SampleScene {
  shapes: SampleShape[]; // 1 or 2; for 2, shapes[0] is `relation` shapes[1]
  relation?: Relation;
  background: readonly [number, number, number];
  textured: boolean;
  textureSeed: number;
}

export interface SampleImage {
  name: string;
  captions: string[];
  pixels: Uint8Array; // size*size*3 RGB, row-major
}

export function sampleImageCount(): number {
  return SAMPLE_COUNT;
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)];
}

/** The scene for one index: all randomness happens here, in normalised coordinates. */
export function sampleScene(index: number, seed = 0): SampleScene {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`sample index: expected an integer >= 0, found ${index}`);
  const random = mulberry32(hashString(`shapes:${seed}:${index}`));
  const jitter = (amount: number) => (random() - 0.5) * amount;
  const shape = (cx: number, cy: number, color: string): SampleShape => ({
    kind: pick(SAMPLE_SHAPES, random),
    color,
    size: random() < 0.5 ? 'small' : 'large',
    cx,
    cy,
  });
  const background = pick(BACKGROUNDS, random);
  const textured = random() < 0.5;
  const textureSeed = Math.floor(random() * 0xffffffff);
  const first = pick(COLOR_NAMES, random);
  if (random() < 0.35) {
    return { shapes: [shape(0.5 + jitter(0.3), 0.5 + jitter(0.3), first)], background, textured, textureSeed };
  }
  const second = pick(
    COLOR_NAMES.filter((c) => c !== first),
    random,
  );
  const relation = pick<Relation>(['left of', 'right of', 'above', 'below'], random);
  // Along the relation's axis the centres are ~0.5 apart (more than two large radii, so no
  // overlap); across it they differ by at most 0.24, so the relation is never ambiguous.
  const near = 0.25 + jitter(0.06);
  const far = 0.75 + jitter(0.06);
  const [a, b] = relation === 'left of' || relation === 'above' ? [near, far] : [far, near];
  const acrossA = 0.5 + jitter(0.24);
  const acrossB = 0.5 + jitter(0.24);
  const horizontal = relation === 'left of' || relation === 'right of';
  const shapes = horizontal ? [shape(a, acrossA, first), shape(b, acrossB, second)] : [shape(acrossA, a, first), shape(acrossB, b, second)];
  return { shapes, relation, background, textured, textureSeed };
}

function article(phrase: string): string {
  return `${/^[aeiou]/.test(phrase) ? 'an' : 'a'} ${phrase}`;
}

const INVERSE: Record<Relation, string> = { 'left of': 'to the right of', 'right of': 'to the left of', above: 'below', below: 'above' };
const SIDE: Record<Relation, string> = {
  'left of': 'on the left',
  'right of': 'on the right',
  above: 'at the top',
  below: 'at the bottom',
};

/** Five different captions, all true of the scene. */
export function sceneCaptions(scene: SampleScene): string[] {
  const [a, b] = scene.shapes;
  const full = (s: SampleShape) => `${s.size} ${s.color} ${s.kind}`;
  const plain = (s: SampleShape) => `${s.color} ${s.kind}`;
  if (b === undefined || scene.relation === undefined) {
    return [
      article(full(a)),
      article(plain(a)),
      `a single ${plain(a)}`,
      `a picture of ${article(full(a))}`,
      `${article(`${a.size} ${a.kind}`)} colored ${a.color}`,
    ];
  }
  const rel = scene.relation;
  return [
    `${article(full(a))} ${rel} ${article(full(b))}`,
    `${article(plain(b))} ${INVERSE[rel]} ${article(full(a))}`,
    `${plain(a)} and ${plain(b)}`,
    `two shapes: ${article(plain(a))} and ${article(plain(b))}`,
    `a picture with ${article(full(a))} ${SIDE[rel]}`,
  ];
}

const STAR: number[] = [];
for (let k = 0; k < 10; k++) {
  const angle = (Math.PI * k) / 5;
  const r = k % 2 === 0 ? 1 : 0.42;
  STAR.push(r * Math.sin(angle), -r * Math.cos(angle)); // point up
}

function insideStar(x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = 18; i < 20; j = i, i += 2) {
    const xi = STAR[i],
      yi = STAR[i + 1],
      xj = STAR[j],
      yj = STAR[j + 1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Point (x, y) in the shape's unit frame: [-1, 1]², y down. */
function inside(kind: ShapeKind, x: number, y: number): boolean {
  switch (kind) {
    case 'circle':
      return x * x + y * y <= 1;
    case 'square':
      return Math.abs(x) <= 0.85 && Math.abs(y) <= 0.85;
    case 'triangle': // equilateral, apex up, inscribed in the unit circle
      return y <= 0.5 && Math.abs(x) <= 0.57735 * (y + 1);
    case 'cross':
      return (Math.abs(x) <= 0.3 && Math.abs(y) <= 0.95) || (Math.abs(y) <= 0.3 && Math.abs(x) <= 0.95);
    case 'star':
      return insideStar(x, y);
  }
}

function paintBackground(pixels: Uint8Array, size: number, scene: SampleScene): void {
  const [r, g, b] = scene.background;
  let h = scene.textureSeed | 1;
  for (let i = 0, p = 0; i < size * size; i++, p += 3) {
    let n = 0;
    if (scene.textured) {
      h ^= h << 13; // xorshift32: light per-pixel grain of ±6
      h ^= h >>> 17;
      h ^= h << 5;
      n = ((h >>> 0) % 13) - 6;
    }
    pixels[p] = r + n;
    pixels[p + 1] = g + n;
    pixels[p + 2] = b + n;
  }
}

function paintShape(pixels: Uint8Array, size: number, s: SampleShape): void {
  const radius = RADIUS[s.size] * size;
  const [r, g, b] = SAMPLE_COLORS[s.color];
  const cx = s.cx * size;
  const cy = s.cy * size;
  const x0 = Math.max(0, Math.floor(cx - radius)),
    x1 = Math.min(size - 1, Math.ceil(cx + radius));
  const y0 = Math.max(0, Math.floor(cy - radius)),
    y1 = Math.min(size - 1, Math.ceil(cy + radius));
  for (let y = y0; y <= y1; y++) {
    const v = (y + 0.5 - cy) / radius;
    for (let x = x0; x <= x1; x++) {
      if (!inside(s.kind, (x + 0.5 - cx) / radius, v)) continue;
      const p = (y * size + x) * 3;
      pixels[p] = r;
      pixels[p + 1] = g;
      pixels[p + 2] = b;
    }
  }
}

/** Renders sample `index` at size×size; the same (index, seed) gives the same scene at any size. */
export function renderSampleImage(index: number, size: number, seed = 0): SampleImage {
  if (!Number.isInteger(size) || size < 8 || size > 4096)
    throw new RangeError(`sample image size: expected an integer in [8, 4096], found ${size}`);
  const scene = sampleScene(index, seed);
  const pixels = new Uint8Array(size * size * 3);
  paintBackground(pixels, size, scene);
  for (const s of scene.shapes) paintShape(pixels, size, s);
  return { name: `shapes_${String(index).padStart(5, '0')}.png`, captions: sceneCaptions(scene), pixels };
}
