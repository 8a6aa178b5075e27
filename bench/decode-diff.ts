// How far the two decode paths of data/decode.ts apart in the stored 128 px pixels: WebCodecs
// ImageDecoder on the bytes vs createImageBitmap on the file, same crop and canvas resample, in
// headless Chromium on the first N files of a folder. Prints mean and max absolute difference in
// levels (0-255). Run: node --import tsx bench/decode-diff.ts <images folder> [N]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLab } from '../tests/e2e/harness';

const [dir, n = '200'] = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => /\.jpe?g$/i.test(f))
  .slice(0, Number(n))
  .map((f) => readFileSync(join(dir, f)).toString('base64'));
const lab = await openLab();
try {
  await lab.page.evaluate('globalThis.__name = (f) => f'); // tsx names the functions it compiles
  const r = await lab.page.evaluate(async (b64s: string[]) => {
    const S = 128;
    const draw = (src: CanvasImageSource, w: number, h: number) => {
      const c = new OffscreenCanvas(S, S);
      const ctx = c.getContext('2d', { willReadFrequently: true })!;
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      const side = Math.min(w, h);
      ctx.drawImage(src, (w - side) / 2, (h - side) / 2, side, side, 0, 0, S, S);
      return ctx.getImageData(0, 0, S, S).data;
    };
    let sum = 0;
    let max = 0;
    let count = 0;
    let same = 0;
    for (const b64 of b64s) {
      const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }), { imageOrientation: 'from-image' });
      const a = draw(bitmap, bitmap.width, bitmap.height);
      bitmap.close();
      const dec = new ImageDecoder({ data: bytes, type: 'image/jpeg' });
      const { image } = await dec.decode();
      const b = draw(image, image.displayWidth, image.displayHeight);
      image.close();
      dec.close();
      let fileSame = true;
      for (let i = 0; i < a.length; i++) {
        if (i % 4 === 3) continue;
        const d = Math.abs(a[i] - b[i]);
        sum += d;
        max = Math.max(max, d);
        count++;
        if (d) fileSame = false;
      }
      if (fileSame) same++;
    }
    return { images: b64s.length, meanAbs: sum / count, max, identicalImages: same };
  }, files);
  console.log(JSON.stringify(r));
} finally {
  await lab.close();
}
