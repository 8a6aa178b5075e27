// The backbone path through the worker modules, without a worker: the feature pass stores a tiny
// generated backbone's features of a stored dataset, then a stored run with imageTower 'backbone'
// trains on them (checkpoint with the head and the identity, run done); a run whose features were
// never computed fails with a message that says so. Use on a dataset that keeps originals decodes
// the uploaded file and the dataset image's original at the backbone's input size (the same
// pixels, the same scores), and the exported file's preprocessing says that size.
import pngjs from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageFile } from '../../../cli/image';
import { mulberry32 } from '../../../src/data/random';
import type { ImageDecoder } from '../../../src/use/backboneImages';
import { referenceRead } from '../io/helpers';
import { withOverrides } from '../../../src/config';
import { loadBackbone, type BackboneIdentity } from '../../../src/model/backbone';
import { deleteBackbone, putBackbone } from '../../../src/storage/backbones';
import { deleteDataset, type DatasetMeta } from '../../../src/storage/datasets';
import { createRun, getRun, loadCheckpoint } from '../../../src/storage/runs';
import type { BackendInfo } from '../../../src/use/backend';
import { FeatureJob } from '../../../src/workers/featureJob';
import { TrainJob } from '../../../src/workers/trainJob';
import { ModelService } from '../../../src/use/modelService';
import { tinyModelFiles } from '../../fixtures/tinyBackbone';
import { storeSyntheticSet } from './storedSet';

const cpu = async (): Promise<BackendInfo> => ({ name: 'cpu', reason: 'test', adapter: null, fallbackAdapter: null, convImpl: 'im2col' });

let ds: DatasetMeta;
let identity: BackboneIdentity;
let files: Awaited<ReturnType<typeof tinyModelFiles>>['files'];
beforeAll(async () => {
  ds = await storeSyntheticSet({ images: 16, val: 4, size: 16 });
  ({ files } = await tinyModelFiles([8, 8, 3], 64));
  const b = await loadBackbone(files, { name: 'tiny', outputNode: 'pool' });
  identity = b.identity;
  b.dispose();
  await putBackbone(identity, files);
});
afterAll(async () => {
  await deleteBackbone(identity.sha256);
  await deleteDataset(ds.id);
});

const config = () =>
  withOverrides('tiny', {
    imageTower: 'backbone',
    backbone: identity,
    textEncoder: 'bow',
    embedDim: 16,
    textWidth: 16,
    matchHidden: 16,
    batchSize: 4,
    epochs: 2,
  });

describe('a backbone run through the jobs', () => {
  it('computes features, then trains on them', async () => {
    await new FeatureJob(cpu).run({ datasetId: ds.id, backbone: identity, views: ['plain', 'flip'], backend: 'cpu' }, () => {});
    const run = await createRun({ dataset: ds, config: config(), backend: 'auto' });
    const result = await new TrainJob(cpu).run(
      { runId: run.id, datasetId: ds.id, config: config(), backend: 'cpu', resume: false },
      () => {},
    );
    expect(result).toEqual({ step: 6, stopped: false });
    expect(await getRun(run.id)).toMatchObject({ status: 'done' });
    const ckpt = await loadCheckpoint(run.id);
    expect(ckpt.config.backbone).toEqual(identity);
    expect(ckpt.weights.find((w) => w.name === 'proj.image.kernel')?.shape).toEqual([64, 16]);

    // Use: the stored backbone runs on the image, then the head; search embeds the cached features.
    const service = new ModelService(cpu);
    await service.load({ runId: run.id, backend: 'cpu' });
    const rows = await service.score({ image: { kind: 'dataset', datasetId: ds.id, index: 0 }, captions: ['a red dog', 'a blue cat'] });
    expect(rows.map((r) => r.caption)).toEqual(['a red dog', 'a blue cat']);
    expect(rows.every((r) => Number.isFinite(r.cosine) && r.probability !== null)).toBe(true);
    const hits = await service.similarImages({
      datasetId: ds.id,
      split: 'all',
      image: { kind: 'dataset', datasetId: ds.id, index: 0 },
      k: 3,
    });
    expect(hits).toHaveLength(3);
    const exported = await service.exportFile({ runId: run.id });
    service.dispose();

    // Without its backbone stored, the run cannot load, and says which files it needs; the wrong files are refused by hash.
    await deleteBackbone(identity.sha256);
    const bare = new ModelService(cpu);
    await expect(bare.load({ runId: run.id, backend: 'cpu' })).rejects.toThrow(
      new RegExp(`backbone "tiny" \\(SHA-256 ${identity.sha256}\\), which is not stored here: load its files`),
    );
    const other = (await tinyModelFiles([8, 8, 3], 32)).files;
    await expect(bare.storeBackbone({ files: other, expectedSha256: identity.sha256, backend: 'cpu' })).rejects.toThrow(
      new RegExp(`backbone files: expected SHA-256 ${identity.sha256}, found [0-9a-f]{64}`),
    );
    const stored = await bare.storeBackbone({
      files,
      options: { outputNode: 'pool', name: 'tiny' },
      expectedSha256: identity.sha256,
      backend: 'cpu',
    });
    expect(stored.identity).toEqual(identity);
    await expect(bare.load({ runId: run.id, backend: 'cpu' })).resolves.toMatchObject({ runId: run.id });
    // The exported file carries the head and the identity: it imports again and scores as the run did.
    const imported = await bare.importFile({ bytes: exported.bytes.slice().buffer, fileName: exported.fileName, backend: 'cpu' });
    expect(imported.summary).toBeTruthy();
    const again = await bare.score({ image: { kind: 'dataset', datasetId: ds.id, index: 0 }, captions: ['a red dog', 'a blue cat'] });
    expect(again.map((r) => r.cosine)).toEqual(rows.map((r) => r.cosine));
    bare.dispose();
  });

  it('fails a run whose features were never computed, saying so', async () => {
    const other = await storeSyntheticSet({ images: 8, val: 2, size: 16 });
    const run = await createRun({ dataset: other, config: config(), backend: 'auto' });
    await expect(
      new TrainJob(cpu).run({ runId: run.id, datasetId: other.id, config: config(), backend: 'cpu', resume: false }, () => {}),
    ).rejects.toThrow(/plain features of dataset .*: expected all 8 images, found none for image #0 — compute features first/);
    expect(await getRun(run.id)).toMatchObject({ status: 'failed' });
    await deleteDataset(other.id);
  });

  it('Use decodes an uploaded file and a dataset image from its original at the input size; the file says so', async () => {
    const png = (i: number) => {
      const random = mulberry32(50 + i);
      const rgba = Buffer.from(Uint8Array.from({ length: 30 * 20 * 4 }, (_, k) => (k % 4 === 3 ? 255 : random() * 256)));
      return new Blob([new Uint8Array(pngjs.PNG.sync.write({ width: 30, height: 20, data: rgba } as pngjs.PNG))], { type: 'image/png' });
    };
    const sides: number[] = [];
    const decode: ImageDecoder = async (file, name, side) => {
      sides.push(side);
      return decodeImageFile(new Uint8Array(await file.arrayBuffer()), `${name}.png`, side).pixels;
    };
    const photos = await storeSyntheticSet({ images: 16, val: 4, size: 16 }, png);
    await new FeatureJob(cpu, decode).run({ datasetId: photos.id, backbone: identity, views: ['plain', 'flip'], backend: 'cpu' }, () => {});
    const run = await createRun({ dataset: photos, config: config(), backend: 'auto' });
    await new TrainJob(cpu).run({ runId: run.id, datasetId: photos.id, config: config(), backend: 'cpu', resume: false }, () => {});
    const service = new ModelService(cpu, decode);
    await service.load({ runId: run.id, backend: 'cpu' });
    sides.length = 0;
    const captions = ['a red dog', 'a blue cat'];
    const fromDataset = await service.score({ image: { kind: 'dataset', datasetId: photos.id, index: 5 }, captions });
    const fromFile = await service.score({ image: { kind: 'file', file: png(5), name: 'p5' }, captions });
    expect(sides).toEqual([identity.inputSize, identity.inputSize]); // the original, then the file: never the 16-px copy
    expect(fromFile.map((r) => r.cosine)).toEqual(fromDataset.map((r) => r.cosine));
    const spec = JSON.parse(referenceRead((await service.exportFile({ runId: run.id })).bytes).metadata.preprocessing);
    expect(spec).toMatchObject({
      imageSize: identity.inputSize,
      stored: { side: identity.inputSize },
      range: { divide: 255, min: 0, max: 1 },
    });
    service.dispose();
    await deleteDataset(photos.id);
  });
});
