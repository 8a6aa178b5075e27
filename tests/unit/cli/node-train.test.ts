// The headless trainer end to end on real photos: flickr8k-originals (JPEG, token captions,
// seeded split) for a few steps on wasm, then the model file it wrote must decode as the page's.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeModelFile } from '../../../src/io/modelFile';
import { ClipModel } from '../../../src/model/clip';
import { NodeBackendError, setupNodeBackend } from '../../../cli/backend';
import { loadFolder } from '../../../cli/dataset';
import { STORED_IMAGE_SIZE } from '../../../src/ingest/constants';
import { trainFolder } from '../../../cli/headless';
import { datasetPath, describeWithData, itWithData } from '../../datasets';

const ORIGINALS = datasetPath('flickr8k-originals');
const tmp = mkdtempSync(join(tmpdir(), 'clip-lab-node-'));
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await tf.setBackend('cpu');
});

describe('Node dataset loading', () => {
  itWithData('flickr8k-originals')('reads flickr8k-originals: token captions, nested folders, seeded split by image', () => {
    const { set, plan, skipped } = loadFolder(ORIGINALS, { limit: 10 });
    expect(plan.captionFile).toBe('Flickr8k_text/Flickr8k.token.txt');
    expect(plan.images).toHaveLength(120);
    expect(plan.splitSource).toBe('seeded');
    expect(skipped).toEqual([]);
    expect(set.imageNames).toHaveLength(10);
    expect(set.captions).toHaveLength(50);
    expect(set.pixels.length).toBe(10 * STORED_IMAGE_SIZE * STORED_IMAGE_SIZE * 3);
    expect(set.imageNames).toEqual([...set.imageNames].sort());
  });
});

describe('setupNodeBackend', () => {
  it('refuses an unknown backend, naming the allowed ones', async () => {
    await expect(setupNodeBackend('gpu')).rejects.toThrow(/expected one of wasm, cpu, webgpu, found 'gpu'/);
  });
  it('says what webgpu needs when it cannot run', async () => {
    const err = await setupNodeBackend('webgpu').then(
      () => null,
      (e: unknown) => e,
    );
    if (err === null) return; // a machine with Dawn and a Vulkan driver: nothing to check
    expect(err).toBeInstanceOf(NodeBackendError);
    expect((err as NodeBackendError).code).toBe('unavailable');
    expect((err as Error).message).toMatch(/webgpu/);
  });
});

describeWithData('flickr8k-originals')('trainFolder (headless trainer)', () => {
  it('trains tiny on wasm for a few steps, evaluates on val and writes a model file the page decodes', async () => {
    const out = join(tmp, 'x.clip.safetensors');
    const lines: string[] = [];
    const result = await trainFolder({
      data: ORIGINALS,
      preset: 'tiny',
      steps: 4,
      backend: 'wasm',
      out,
      limitImages: 60,
      log: (l) => lines.push(l),
    });
    expect(result.backend.name).toBe('wasm');
    expect(lines.filter((l) => /^step \d+ .*pairs\/s/.test(l))).toHaveLength(4);
    const ckpt = decodeModelFile(readFileSync(out));
    expect(ckpt.step).toBe(4);
    expect(ckpt.config.preset).toBe('tiny');
    expect(ckpt.datasetName).toBe('flickr8k-originals');
    expect(ckpt.weights.map((w) => w.name)).toEqual(ClipModel.weightSpecs(ckpt.config, ckpt.vocab.length).map((s) => s.name));
    expect(ckpt.optimizer.length).toBeGreaterThan(0); // training can continue from the file
    expect(ckpt.history.steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
    expect(result.finalEval?.step).toBe(4);
    expect(ckpt.history.evals.at(-1)?.step).toBe(4);
  }, 60_000);
});
