// A dataset folder on disk -> the in-memory TrainingSet the trainer reads, in Node. Planning is the
// page's own (src/ingest/plan.ts: caption file chosen by src/data/captions, splits from the official
// lists via src/data/splits, else seeded by image); only the file reading and image decoding differ.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { SPLIT_CODE, type TrainingSet } from '../src/data/types';
import { INGEST_SPLIT_SEED, STORED_IMAGE_SIZE } from '../src/ingest/constants';
import { planIngest, textFilesToRead, type FolderEntry, type IngestPlan } from '../src/ingest/plan';
import { decodeImageFile } from './image';

export interface FolderLoadProgress {
  done: number;
  total: number;
}

export interface LoadedFolder {
  set: TrainingSet;
  plan: IngestPlan;
  skipped: { name: string; reason: string }[]; // images that failed to decode; their captions are dropped
}

/** Every file under `dir`, recursively, as '/'-separated relative paths; hidden folders are not entered. */
export function listFolder(dir: string): FolderEntry[] {
  const out: FolderEntry[] = [];
  const walk = (at: string) => {
    for (const d of readdirSync(at, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(at, d.name);
      if (d.isDirectory()) {
        if (!d.name.startsWith('.')) walk(full);
      } else if (d.isFile()) {
        out.push({ path: relative(dir, full).split(sep).join('/'), size: statSync(full).size });
      }
    }
  };
  walk(dir);
  return out;
}

/**
 * Reads, plans and decodes a dataset folder. `limit` keeps only the first N planned images (by name),
 * for quick runs; `size` is the stored side (default STORED_IMAGE_SIZE, as the page stores).
 */
export function loadFolder(
  dir: string,
  opts: { size?: number; limit?: number; onProgress?: (p: FolderLoadProgress) => void } = {},
): LoadedFolder {
  const size = opts.size ?? STORED_IMAGE_SIZE;
  const entries = listFolder(dir);
  const texts = new Map(textFilesToRead(entries).map((e) => [e.path, readFileSync(join(dir, e.path), 'utf8')]));
  const plan = planIngest(entries, texts, INGEST_SPLIT_SEED);
  const planned = opts.limit ? plan.images.slice(0, opts.limit) : plan.images;

  const per = size * size * 3;
  const pixels = new Uint8Array(planned.length * per);
  const imageNames: string[] = [];
  const splits: number[] = [];
  const captions: TrainingSet['captions'] = [];
  const skipped: LoadedFolder['skipped'] = [];
  planned.forEach((img, k) => {
    try {
      const decoded = decodeImageFile(readFileSync(join(dir, img.path)), img.name, size);
      pixels.set(decoded.pixels, imageNames.length * per);
      for (const text of img.captions) captions.push({ image: imageNames.length, text });
      imageNames.push(img.name);
      splits.push(SPLIT_CODE[img.split]);
    } catch (err) {
      skipped.push({ name: img.path, reason: (err as Error).message });
    }
    if ((k + 1) % 250 === 0 || k + 1 === planned.length) opts.onProgress?.({ done: k + 1, total: planned.length });
  });
  const set: TrainingSet = {
    name: dir.split(/[\\/]/).filter(Boolean).pop() ?? dir,
    imageSize: size,
    pixels: pixels.subarray(0, imageNames.length * per),
    imageNames,
    imageSplit: Uint8Array.from(splits),
    captions,
  };
  return { set, plan, skipped };
}
