// Backbone features of a dataset folder, computed once and cached on disk (bench/tmp/, gitignored):
// images decoded as Node ingestion does (jpeg-js, centre crop, area resize to the backbone's input
// size), run through extractFeatures in batches, plain and horizontally flipped, in chunks of
// CHUNK images so that an interrupted pass resumes where it stopped and reruns are instant;
// two processes may share a pass (a .lock file marks the chunk one of them is computing).
// With `decodeSize` the images are decoded at that side and upsampled to the input size by
// extractFeatures, as the page feeds its stored 128-px copies (cached apart: '<view>@<size>').

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { Split } from '../../src/data/types';
import { planIngest, textFilesToRead, type PlannedImage } from '../../src/ingest/plan';
import { extractFeatures, type Backbone } from '../../src/model/backbone';
import { listFolder } from '../../cli/dataset';
import { INGEST_SPLIT_SEED } from '../../src/ingest/constants';
import { decodeImageFile } from '../../cli/image';

export const FEATURE_CACHE_ROOT = fileURLToPath(new URL('../tmp/backbone-features/', import.meta.url));
const CHUNK = 250;
const BATCH = 16;

export type View = 'plain' | 'flip';

export interface SplitFeatures {
  images: PlannedImage[]; // in feature-row order; skipped images are left out
  plain: Float32Array; // [N, F]
  flip: Float32Array | null; // [N, F] when computed
}

export interface FeaturePassStats {
  images: number; // images behind the returned features, cached or not
  seconds: number; // their pass time as recorded when each chunk was computed (decode + backbone)
  computedNow: number; // images computed in this call (0: all read from the cache)
}

interface ChunkMeta {
  skipped: number[]; // rows (within the chunk) whose image failed to decode: zeros in the .f32
  seconds: number;
}

/** The folder's planned images of one split, sorted by name (the plan's order). */
export function planSplit(dir: string, split: Split): PlannedImage[] {
  const entries = listFolder(dir);
  const texts = new Map(textFilesToRead(entries).map((e) => [e.path, readFileSync(join(dir, e.path), 'utf8')]));
  return planIngest(entries, texts, INGEST_SPLIT_SEED).images.filter((im) => im.split === split);
}

function cacheDir(backbone: Backbone, dataset: string): string {
  const { sha256, inputSize, outputNode } = backbone.identity;
  const nodeTag = outputNode
    .split('/')
    .pop()!
    .replace(/[^A-Za-z0-9_]/g, '');
  return join(FEATURE_CACHE_ROOT, `${dataset}-${sha256.slice(0, 12)}-${inputSize}-${nodeTag}`);
}

/**
 * Computes (or reads from the cache) the features of `images` for one view. `log` hears about
 * each chunk. Returns [N, F] rows in `images` order plus the rows that failed to decode.
 */
export async function featurePass(
  backbone: Backbone,
  dir: string,
  dataset: string,
  split: Split,
  images: PlannedImage[],
  view: View,
  log: (line: string) => void = () => {},
  stats: FeaturePassStats = { images: 0, seconds: 0, computedNow: 0 },
  decodeSize?: number,
): Promise<{ rows: Float32Array; skipped: Set<number> }> {
  const F = backbone.identity.featureSize;
  const out = new Float32Array(images.length * F);
  const skipped = new Set<number>();
  const base = cacheDir(backbone, dataset);
  mkdirSync(base, { recursive: true });
  const chunks = Math.ceil(images.length / CHUNK);
  const tag = decodeSize ? `${view}@${decodeSize}` : view;
  // Chunks another process is computing (a fresh .lock) are left for last, then waited for.
  const order = [...Array(chunks).keys()].sort(
    (a, b) => Number(isLocked(join(base, `${split}.${tag}.${a}`))) - Number(isLocked(join(base, `${split}.${tag}.${b}`))),
  );
  for (const c of order) {
    const chunk = images.slice(c * CHUNK, (c + 1) * CHUNK);
    const file = join(base, `${split}.${tag}.${c}`);
    while (!existsSync(`${file}.json`) && isLocked(file)) await new Promise((r) => setTimeout(r, 5000));
    if (!existsSync(`${file}.json`)) {
      writeFileSync(`${file}.lock`, String(process.pid));
      const meta = await computeChunk(backbone, dir, chunk, view, decodeSize);
      writeFileSync(`${file}.f32.tmp`, new Uint8Array(meta.rows.buffer));
      renameSync(`${file}.f32.tmp`, `${file}.f32`);
      writeFileSync(`${file}.json`, JSON.stringify({ skipped: meta.skipped, seconds: meta.seconds })); // last: marks the chunk complete
      rmSync(`${file}.lock`, { force: true });
      stats.computedNow += chunk.length;
      log(`${split} ${tag} chunk ${c + 1}/${chunks}: ${(chunk.length / meta.seconds).toFixed(1)} images/s`);
    }
    const meta = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as ChunkMeta;
    const bytes = readFileSync(`${file}.f32`);
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), c * CHUNK * F);
    for (const r of meta.skipped) skipped.add(c * CHUNK + r);
    stats.images += chunk.length;
    stats.seconds += meta.seconds;
  }
  return { rows: out, skipped };
}

/** A chunk another process started less than 15 minutes ago. */
function isLocked(file: string): boolean {
  return existsSync(`${file}.lock`) && Date.now() - statSync(`${file}.lock`).mtimeMs < 15 * 60_000;
}

/** Decodes and runs one chunk of images through the backbone: [n, F] rows, failed rows zero. */
async function computeChunk(
  backbone: Backbone,
  dir: string,
  chunk: PlannedImage[],
  view: View,
  decodeSize?: number,
): Promise<ChunkMeta & { rows: Float32Array }> {
  const { featureSize: F } = backbone.identity;
  const S = decodeSize ?? backbone.identity.inputSize;
  const t0 = performance.now();
  const rows = new Float32Array(chunk.length * F);
  const skipped: number[] = [];
  for (let b = 0; b < chunk.length; b += BATCH) {
    const batch = chunk.slice(b, b + BATCH);
    const pixels = new Int32Array(batch.length * S * S * 3);
    batch.forEach((im, k) => {
      try {
        pixels.set(decodeImageFile(readFileSync(join(dir, im.path)), im.name, S).pixels, k * S * S * 3);
      } catch {
        skipped.push(b + k);
      }
    });
    const x = tf.tensor4d(pixels, [batch.length, S, S, 3], 'int32');
    const f = extractFeatures(backbone, x, { flip: view === 'flip' });
    rows.set((await f.data()) as Float32Array, b * F);
    tf.dispose([x, f]);
  }
  return { rows, skipped, seconds: (performance.now() - t0) / 1000 };
}

/** Drops the skipped rows: images and [N, F] rows kept in step. */
export function dropSkipped(
  images: PlannedImage[],
  rows: Float32Array[],
  skipped: Set<number>,
  F: number,
): { images: PlannedImage[]; rows: Float32Array[] } {
  if (skipped.size === 0) return { images, rows };
  const keep = images.map((_, i) => i).filter((i) => !skipped.has(i));
  return {
    images: keep.map((i) => images[i]),
    rows: rows.map((r) => {
      const o = new Float32Array(keep.length * F);
      keep.forEach((i, k) => o.set(r.subarray(i * F, (i + 1) * F), k * F));
      return o;
    }),
  };
}
