// Model worker: holds one trained model (a run's checkpoint or an imported file) and answers
// typed RPC requests — score, build/search the embedding index, zero-shot, export — reporting
// progress and sending every failure back as a serialised error.
import { preprocessImage } from '../data/decode';
import type { Split } from '../data/types';
import { STORED_IMAGE_SIZE } from '../ingest/constants';
import { decodeModelFile, describeModelFile, encodeModelFile } from '../io/modelFile';
import { topK } from '../model/retrieval';
import { getDataset, getDatasetIndex, getPixels } from '../storage/datasets';
import { getEmbeddingIndex, putEmbeddingIndex, EMBEDDING_INDEX_VERSION, type EmbeddingIndex } from '../storage/embeddings';
import { deleteRun, getRun, importRun, loadCheckpoint } from '../storage/runs';
import { selectBackend, type BackendChoice } from '../workers/backend';
import { ModelSession } from '../use/modelSession';
import { PROTOCOL_VERSION, serializeError, type ImageInput, type LoadedModel, type ModelMethods, type ModelRequest, type ModelResponse } from './protocol';

type Unversioned<T> = T extends unknown ? Omit<T, 'v'> : never;
const post = (msg: Unversioned<ModelResponse>, transfer: Transferable[] = []) =>
  (self as unknown as Worker).postMessage({ v: PROTOCOL_VERSION, ...msg }, transfer);

let session: ModelSession | null = null;
let loaded: LoadedModel | null = null;
let backendName = '';

class UseError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'UseError';
    this.code = code;
  }
}

function need(): ModelSession {
  if (!session) throw new UseError('no-model', 'No model is loaded: choose a run or import a model file first.');
  return session;
}

async function ensureBackend(choice: BackendChoice) {
  if (!backendName) backendName = (await selectBackend(choice)).name;
}

async function install(ckpt: Parameters<typeof ModelSession.fromCheckpoint>[0], runId: string): Promise<LoadedModel> {
  const next = await ModelSession.fromCheckpoint(ckpt);
  session?.dispose();
  session = next;
  loaded = { runId, step: ckpt.step, summary: describeModelFile(ckpt), backend: backendName, hasClassifier: ckpt.config.matchHidden > 0 };
  return loaded;
}

async function imagePixels(image: ImageInput): Promise<{ pixels: Uint8Array; size: number }> {
  if (image.kind === 'file') {
    // Exactly the ingestion path: centre-crop to the stored side, then the model's own resize.
    const { pixels } = await preprocessImage(image.file, image.name, STORED_IMAGE_SIZE);
    return { pixels, size: STORED_IMAGE_SIZE };
  }
  const meta = await getDataset(image.datasetId);
  const [pixels] = await getPixels(image.datasetId, [image.index]);
  return { pixels, size: meta.imageSize };
}

async function buildIndex(id: number, datasetId: string, split: Split | 'all'): Promise<{ index: EmbeddingIndex; cached: boolean; seconds: number }> {
  const s = need();
  const t0 = performance.now();
  const cached = await getEmbeddingIndex(loaded!.runId, loaded!.step, datasetId, split);
  if (cached) return { index: cached, cached: true, seconds: 0 };
  const meta = await getDataset(datasetId);
  const ds = await getDatasetIndex(datasetId);
  const ids: number[] = [];
  ds.splits.forEach((sp, i) => {
    if (split === 'all' || sp === split) ids.push(i);
  });
  const D = s.config.embedDim;
  const imageEmb = new Float32Array(ids.length * D);
  const CHUNK = 256;
  const per = meta.imageSize * meta.imageSize * 3;
  for (let start = 0; start < ids.length; start += CHUNK) {
    const chunk = ids.slice(start, start + CHUNK);
    const px = await getPixels(datasetId, chunk);
    const flat = new Uint8Array(chunk.length * per);
    px.forEach((p, k) => flat.set(p, k * per));
    imageEmb.set(await s.embedImages(flat, meta.imageSize, chunk.length), start * D);
    post({ id, type: 'progress', done: start + chunk.length, total: ids.length, label: 'images embedded' });
  }
  const captionImage: number[] = [];
  const captionText: string[] = [];
  for (const i of ids) for (const c of ds.captions[i]) {
    captionImage.push(i);
    captionText.push(c);
  }
  const captionEmb = await s.embedTexts(captionText);
  const index: EmbeddingIndex = {
    version: EMBEDDING_INDEX_VERSION, dim: D, imageIds: Int32Array.from(ids), imageEmb,
    captionImage: Int32Array.from(captionImage), captionText, captionEmb,
  };
  await putEmbeddingIndex(loaded!.runId, loaded!.step, datasetId, split, index);
  return { index, cached: false, seconds: (performance.now() - t0) / 1000 };
}

const handlers: { [M in keyof ModelMethods]: (a: Parameters<ModelMethods[M]>[0], id: number) => Promise<ReturnType<ModelMethods[M]>> } = {
  async load({ runId, backend }) {
    await ensureBackend(backend);
    if (loaded?.runId === runId) {
      const meta = await getRun(runId);
      if (meta.step === loaded.step) return loaded;
    }
    return install(await loadCheckpoint(runId), runId);
  },
  async importFile({ bytes, fileName, backend }) {
    await ensureBackend(backend);
    const ckpt = decodeModelFile(bytes); // validates everything before anything is replaced
    const meta = await importRun(ckpt, { fileName, backend: backendName });
    const result = await install(ckpt, meta.id).catch(async (err) => {
      await deleteRun(meta.id); // a file the model cannot use leaves no run behind
      throw err;
    });
    return result;
  },
  async score({ image, captions }) {
    const s = need();
    const { pixels, size } = await imagePixels(image);
    return s.score(pixels, size, captions);
  },
  async buildIndex({ datasetId, split }, id) {
    const { index, cached, seconds } = await buildIndex(id, datasetId, split);
    return { images: index.imageIds.length, captions: index.captionText.length, cached, seconds };
  },
  async searchText({ datasetId, split, query, k }, id) {
    const s = need();
    const { index } = await buildIndex(id, datasetId, split);
    const q = await s.embedTexts([query]);
    return topK(q, index.imageEmb, index.dim, k).map((r) => ({ index: index.imageIds[r.index], score: r.score }));
  },
  async searchImage({ datasetId, split, image, k }, id) {
    const s = need();
    const { index } = await buildIndex(id, datasetId, split);
    const { pixels, size } = await imagePixels(image);
    const q = await s.embedImages(pixels, size, 1);
    return topK(q, index.captionEmb, index.dim, k).map((r) => ({ image: index.captionImage[r.index], caption: index.captionText[r.index], score: r.score }));
  },
  async zeroShot({ image, labels, template }) {
    const s = need();
    if (!labels.length) throw new UseError('no-labels', 'Type at least one label (comma-separated).');
    const { pixels, size } = await imagePixels(image);
    return s.zeroShot(pixels, size, labels, template);
  },
  async exportFile({ runId }) {
    const [meta, ckpt] = await Promise.all([getRun(runId), loadCheckpoint(runId)]);
    const bytes = encodeModelFile(ckpt, { datasetName: meta.datasetName });
    const safe = `${meta.preset}-${meta.datasetName}-step${ckpt.step}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100);
    return { bytes, fileName: `${safe}.clip.safetensors` };
  },
};

self.onmessage = async (ev: MessageEvent<ModelRequest>) => {
  const req = ev.data;
  if (req?.v !== PROTOCOL_VERSION) {
    post({ id: req?.id ?? -1, type: 'error', error: { name: 'ProtocolError', message: `model worker speaks protocol ${PROTOCOL_VERSION}, got ${String(req?.v)}` } });
    return;
  }
  try {
    const handler = handlers[req.method] as (a: unknown, id: number) => Promise<unknown>;
    if (!handler) throw new UseError('unknown-method', `model worker: unknown method ${String(req.method)}`);
    const result = await handler(req.args, req.id);
    const transfer = req.method === 'exportFile' ? [(result as { bytes: Uint8Array }).bytes.buffer as ArrayBuffer] : [];
    post({ id: req.id, type: 'result', result }, transfer);
  } catch (err) {
    post({ id: req.id, type: 'error', error: serializeError(err) });
  }
};
