// A dataset folder decoded once (cli/dataset loadFolder: jpeg-js, centre crop, area resize to the
// stored side) and kept under /tmp as raw pixels + JSON, so that benchmark reruns skip minutes
// of JPEG decoding. Keyed by folder name and side; delete the files to decode again.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { TrainingSet } from '../../src/data/types';
import { loadFolder, type LoadedFolder } from '../../cli/dataset';

/** The folder at `size` px, from /tmp when decoded before; `seconds` is this call's load time. */
export function loadFolderCached(dir: string, size: number, log: (line: string) => void = () => {}): LoadedFolder & { seconds: number } {
  const t0 = performance.now();
  const cache = `/tmp/clip-lab-${basename(dir)}-${size}px`;
  if (existsSync(`${cache}.json`) && existsSync(`${cache}.bin`)) {
    const meta = JSON.parse(readFileSync(`${cache}.json`, 'utf8')) as Omit<TrainingSet, 'pixels' | 'imageSplit'> & {
      imageSplit: number[];
      plan: LoadedFolder['plan'];
      skipped: LoadedFolder['skipped'];
    };
    const { plan, skipped, ...rest } = meta;
    const set: TrainingSet = {
      ...rest,
      imageSplit: Uint8Array.from(meta.imageSplit),
      pixels: new Uint8Array(readFileSync(`${cache}.bin`)),
    };
    log(`loaded ${set.imageNames.length} images from ${cache}.bin`);
    return { set, plan, skipped, seconds: (performance.now() - t0) / 1000 };
  }
  const loaded = loadFolder(dir, { size, onProgress: (p) => p.done % 1000 === 0 && log(`decoded ${p.done}/${p.total}`) });
  const { pixels, imageSplit, ...rest } = loaded.set;
  writeFileSync(`${cache}.bin`, pixels);
  const plan = { ...loaded.plan, images: [] }; // the per-image plan is not needed again
  writeFileSync(`${cache}.json`, JSON.stringify({ ...rest, imageSplit: [...imageSplit], plan, skipped: loaded.skipped }));
  return { ...loaded, seconds: (performance.now() - t0) / 1000 };
}
