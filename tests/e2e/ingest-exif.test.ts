// e2e: a JPEG whose EXIF says "rotate 90° clockwise" (orientation 6) is stored upright: its
// recorded size is the rotated one, and its preprocessed copy matches the same photo rotated by
// hand, and its bytes are the Node trainer's (the wasm JPEG decoder in both). Scoring an uploaded image
// goes through the same preprocessImage path.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import {
  chooseFolder,
  datasetStorePixels,
  datasetStoreGet,
  datasetStoreKeys,
  openLab,
  SHARED_DATASETS,
  waitForText,
  type Lab,
} from './harness';
import { itWithData } from '../datasets';
import { decodeImageFile } from '../../cli/image';

// A fresh profile per photo: each import is the only dataset, its report the only one shown.
let lab: Lab;
beforeEach(async () => {
  lab = await openLab();
});
afterEach(async () => {
  await lab?.close();
});

/** Inserts an APP1 Exif segment with one IFD entry, Orientation = `orientation`, after SOI. */
function withExifOrientation(jpeg: Uint8Array, orientation: number): Uint8Array {
  const tiff = [0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0, 0, 0, 0, 0];
  const payload = [...new TextEncoder().encode('Exif'), 0, 0, ...tiff];
  const len = payload.length + 2;
  const app1 = [0xff, 0xe1, len >> 8, len & 0xff, ...payload];
  return Uint8Array.from([...jpeg.subarray(0, 2), ...app1, ...jpeg.subarray(2)]);
}

function jpegSize(jpeg: Uint8Array): { width: number; height: number } {
  for (let i = 2; i < jpeg.length; ) {
    const marker = jpeg[i + 1];
    const len = (jpeg[i + 2] << 8) | jpeg[i + 3];
    if (marker === 0xc0 || marker === 0xc2) return { height: (jpeg[i + 5] << 8) | jpeg[i + 6], width: (jpeg[i + 7] << 8) | jpeg[i + 8] };
    i += 2 + len;
  }
  throw new Error('no SOF marker');
}

// Both go through the wasm JPEG decoder, which ignores EXIF (data/decode.ts turns the square
// upright): a photo over INLINE_FILE_MAX_BYTES is read whole by preprocessImage, one under it is
// read by the decode worker and handed over. Both must come out upright.
const PHOTOS = [
  { file: '1000268201_693b08cb0e.jpg', path: 'read by preprocessImage (200 KB)' },
  { file: '102351840_323e3de834.jpg', path: 'bytes from the decode worker (49 KB)' },
];

for (const photo of PHOTOS)
  itWithData('flickr8k-originals')(`stores an EXIF-rotated photo upright: ${photo.path}`, async () => {
    const src = new Uint8Array(readFileSync(join(SHARED_DATASETS, 'flickr8k-originals/Flicker8k_Dataset', photo.file)));
    const { width, height } = jpegSize(src);
    expect(width).not.toBe(height);
    const dir = mkdtempSync(join(tmpdir(), 'clip-lab-exif-'));
    writeFileSync(join(dir, 'plain.jpg'), src);
    writeFileSync(join(dir, 'rotated.jpg'), withExifOrientation(src, 6));
    writeFileSync(
      join(dir, 'captions.csv'),
      'image,caption\nplain.jpg,a child in a pink dress\nrotated.jpg,the same child turned on its side\n',
    );
    const { page } = lab;
    await chooseFolder(page, dir);
    await waitForText(page, 'report-images', /^2$/, 60_000);
    const records: Record<string, { width: number; height: number; pixels: number[] }> = {};
    for (const key of (await datasetStoreKeys(page)).filter((k) => k.startsWith('img:'))) {
      const image = await datasetStoreGet<{ name?: string; width: number; height: number }>(page, key);
      if (!image?.name) continue;
      records[image.name] = {
        width: image.width,
        height: image.height,
        pixels: (await datasetStorePixels(page, key.split(':')[1], Number(key.split(':')[2]))) ?? [],
      };
    }
    expect(records['plain.jpg']).toMatchObject({ width, height });
    expect(records['rotated.jpg']).toMatchObject({ width: height, height: width });
    // The rotated copy's centre crop is the plain one's turned 90° clockwise: pixel (x, y) of the
    // rotated image is pixel (y, S-1-x) of the plain one. Compare on a coarse grid (resampling differs).
    const S = 128;
    const a = records['plain.jpg'].pixels;
    const b = records['rotated.jpg'].pixels;
    let err = 0;
    let errWrong = 0;
    let n = 0;
    for (let y = 8; y < S; y += 16)
      for (let x = 8; x < S; x += 16) {
        for (let c = 0; c < 3; c++) {
          err += Math.abs(b[(y * S + x) * 3 + c] - a[((S - 1 - x) * S + y) * 3 + c]);
          errWrong += Math.abs(b[(y * S + x) * 3 + c] - a[(y * S + x) * 3 + c]);
          n++;
        }
      }
    expect(err / n).toBeLessThan(20);
    expect(errWrong / n).toBeGreaterThan(err / n);
    // The page decoded with the wasm decoder (not a silent fallback to createImageBitmap): its bytes
    // are the Node trainer's.
    expect(a).toEqual([...decodeImageFile(src, 'plain.jpg', S).pixels]);
    expect(b).toEqual([...decodeImageFile(withExifOrientation(src, 6), 'rotated.jpg', S).pixels]);
    lab.assertHealthy();
  });
