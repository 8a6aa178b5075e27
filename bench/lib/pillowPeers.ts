// The Pillow peers of the ingestion benchmark (bench/ingest.ts): the same files prepared in Python
// the two ways the benchmark compares the page with. `full` is the row kept from before: a full-size
// decode, EXIF upright, RGB, centre square crop and a bicubic resize to 128. `draft` does the page's
// JPEG work: draft('RGB', (128, 128)) first, so libjpeg-turbo decodes at the smallest DCT scale whose
// short side still covers 128 (as the page's wasm decoder and clip_lab.pixels pick it), then EXIF
// upright, the centre square (fractional offset, as the page) resized to 128 by Pillow's antialiased
// bilinear (a separable filter of 2-3 taps per output pixel at these scales, where the page averages
// areas). Neither stores anything; the page also stores the original and the 128 px copy.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PYTHON } from './machine';
import { summarize, type Summary } from './stats';

export type PillowPeer = 'full' | 'draft';

// Prints {"<peer>:<processes>": [seconds per run, …], "<peer>:cpu1": [process seconds, …]}.
const SCRIPT = `
import json, sys, time
from multiprocessing import Pool
from PIL import Image, ImageOps

def full(path):
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im).convert('RGB')
        w, h = im.size
        s = min(w, h)
        box = ((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)
        return len(im.resize((128, 128), Image.BICUBIC, box=box).tobytes())

def draft(path):
    with Image.open(path) as im:
        im.draft('RGB', (128, 128))
        im = ImageOps.exif_transpose(im).convert('RGB')
        w, h = im.size
        s = min(w, h)
        box = ((w - s) / 2, (h - s) / 2, (w + s) / 2, (h + s) / 2)
        return len(im.resize((128, 128), Image.BILINEAR, box=box).tobytes())

if __name__ == '__main__':
    paths, peers, procs = json.loads(sys.stdin.read())
    out = {}
    for peer in peers:
        prep = {'full': full, 'draft': draft}[peer]
        t0, c0 = time.perf_counter(), time.process_time()
        if procs == 1:
            for p in paths: prep(p)
            out[peer + ':cpu1'] = [time.process_time() - c0]
        else:
            with Pool(procs) as pool: pool.map(prep, paths, chunksize=32)
        out[peer + ':' + str(procs)] = [time.perf_counter() - t0]
    print(json.dumps(out))
`;

export interface PillowRun {
  processes: number;
  imagesPerSecond: Summary;
  cpuMsPerImage?: number; // 1 process: its own CPU time per image (median over its runs)
}

/** Pillow's version from PYTHON, or null when it cannot import PIL. */
export function pillowAvailable(): string | null {
  try {
    return execFileSync(PYTHON, ['-c', 'import PIL; print(PIL.__version__)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

/** One run of each of `peers`, in that order, on `procs` processes over the JPEG/PNG files of `imagesDir`. */
export function runPillowPeers(imagesDir: string, peers: PillowPeer[], procs: number): Record<PillowPeer, PillowRun> {
  const paths = readdirSync(imagesDir)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .map((f) => join(imagesDir, f));
  const out = JSON.parse(
    execFileSync(PYTHON, ['-c', SCRIPT], { input: JSON.stringify([paths, peers, procs]), encoding: 'utf8', maxBuffer: 1 << 20 }),
  ) as Record<string, number[]>;
  const runs = {} as Record<PillowPeer, PillowRun>;
  for (const peer of peers) {
    const cpu = out[`${peer}:cpu1`];
    runs[peer] = {
      processes: procs,
      imagesPerSecond: summarize(out[`${peer}:${procs}`].map((s) => paths.length / s)),
      ...(cpu ? { cpuMsPerImage: (summarize(cpu).median * 1000) / paths.length } : {}),
    };
  }
  return runs;
}
