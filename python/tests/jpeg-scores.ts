// Measurement helper (README, python/ section): the lab's scores of a model on image files decoded
// the Node trainer's way (jpeg-js, exact area average), for python/tests/jpeg_bound.py to compare
// with Pillow's. Usage: node --import tsx python/tests/jpeg-scores.ts MODEL DATASET_DIR N OUT.json
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '../../src/data/tokenizer';
import { decodeModelFile } from '../../src/io/modelFile';
import { ClipModel } from '../../src/model/clip';
import { embedImages, embedTexts, scoreEmbeddings } from '../../src/use/inference';
import { setupNodeBackend } from '../../cli/backend';
import { listFolder } from '../../cli/dataset';
import { decodeImageFile } from '../../cli/image';
import { planIngest, textFilesToRead } from '../../src/ingest/plan';

const [modelPath, dir, count, out] = process.argv.slice(2);
await setupNodeBackend('wasm');
const ckpt = decodeModelFile(readFileSync(modelPath));
const model = ClipModel.create(ckpt.config, ckpt.vocab.length, { convImpl: 'im2col' });
model.setWeights(ckpt.weights);
const entries = listFolder(dir);
const texts = new Map(textFilesToRead(entries).map((e) => [e.path, readFileSync(join(dir, e.path), 'utf8')]));
const images = planIngest(entries, texts, 42)
  .images.filter((i) => i.split === 'val')
  .slice(0, Number(count));
const pixels = new Uint8Array(images.length * 128 * 128 * 3);
images.forEach((img, i) => pixels.set(decodeImageFile(readFileSync(join(dir, img.path)), img.name, 128).pixels, i * 128 * 128 * 3));
const captions = images.map((img) => img.captions[0]);
const u = await embedImages(model, pixels, 128, images.length);
const v = await embedTexts(model, Tokenizer.fromVocab(ckpt.vocab), captions);
const { probability, cosine } = await scoreEmbeddings(model, u, v);
writeFileSync(
  out,
  JSON.stringify({ paths: images.map((i) => join(dir, i.path)), captions, cosine: [...cosine], probability: [...(probability ?? [])] }),
);
console.log(`wrote ${out}: ${images.length} val images`);
