// Using one trained model, as the model worker runs it but testable without a worker: load a
// run's checkpoint (its best by val mean R@5 unless the last is asked for) or import a model
// file, score, search both ways, zero-shot, export what was loaded. The
// search index of (checkpoint, dataset, split) stays in memory once built or read, so a search
// reads nothing from storage but the query's own image; it is rebuilt when any of them changes.
import type { Split } from '../data/types';
import { LabError } from '../errors';
import { STORED_IMAGE_SIZE } from '../ingest/constants';
import { decodeModelFile, describeModelFile, encodeModelFile } from '../io/modelFile';
import { requireCaptionText } from '../model/captionText';
import { topK } from '../model/retrieval';
import {
  loadBackbone,
  readFileSet,
  sha256Hex,
  type BackboneFile,
  type BackboneIdentity,
  type FeatureCandidate,
  type LoadBackboneOptions,
} from '../model/backbone';
import { findBackbone, getBackboneFiles, putBackbone } from '../storage/backbones';
import { getDataset, getDatasetIndex, getPixels } from '../storage/datasets';
import { loadFeatures } from '../storage/features';
import { EMBEDDING_INDEX_VERSION, getEmbeddingIndex, putEmbeddingIndex, type EmbeddingIndex } from '../storage/embeddings';
import { deleteRun, findImportedRun, getRun, importRun, loadCheckpoint, type CheckpointChoice, type RunMeta } from '../storage/runs';
import type { Checkpoint } from '../train/types';
import type { BackendChoice, BackendInfo } from './backend';
import { decodeInBrowser, featureImagesOf, featureSources, readBackboneImages, type ImageDecoder } from './backboneImages';
import { ModelSession, type ScoreRow, type ZeroShotRow } from './modelSession';

/** An image to score: a file the user gave, or an image of a stored dataset. */
export type ImageInput = { kind: 'file'; file: Blob; name: string } | { kind: 'dataset'; datasetId: string; index: number };

export interface LoadedModel {
  runId: string;
  step: number;
  which: CheckpointChoice; // the run's best checkpoint or its last
  choice: string; // one line: "best: step N, mean R@5 x; last: step M"
  hasBest: boolean; // the run has a best checkpoint to choose (else only the last)
  summary: string;
  backend: string;
  hasClassifier: boolean;
  calibrated: boolean; // P(match) is calibrated (the checkpoint carries a calibration)
  calibration: 'stacked' | 'platt' | null; // how: the logit and the cosine weighed, or the logit alone (older checkpoints)
}

/** "best: step 120, mean R@5 0.412; last: step 200" — which checkpoints a run has, and which one is loaded. */
export function describeChoice(meta: Pick<RunMeta, 'best' | 'step'>, which: CheckpointChoice): string {
  const best = meta.best;
  if (!best)
    return `Loaded the last checkpoint — last: step ${meta.step} (no best checkpoint kept: not evaluated yet, or imported from a file)`;
  const line = `best: step ${best.step}, ${best.metricLabel} ${best.value.toFixed(3)}; last: step ${meta.step}`;
  return `${which === 'best' ? 'Loaded the best checkpoint' : 'Loaded the last checkpoint'} — ${line}`;
}

export interface ImageHit {
  index: number; // dataset image index
  score: number; // cosine
  caption: string; // the image's first caption
}

export interface CaptionHit {
  image: number;
  caption: string;
  score: number;
}

export interface IndexInfo {
  images: number;
  captions: number;
  cached: boolean; // read from memory or storage, not built now
  seconds: number;
}

export type SearchScope = { datasetId: string; split: Split | 'all' };
export type Progress = (done: number, total: number, label: string) => void;

export type UseErrorCode = 'no-model' | 'no-labels' | 'no-backbone' | 'backbone-mismatch';

export class UseError extends LabError<UseErrorCode> {
  override readonly name = 'UseError';
}

/** A backbone as read from its files: what was found, and the nodes that could be picked instead. */
export interface BackboneInfo {
  identity: BackboneIdentity;
  candidates: FeatureCandidate[];
}

/** The UseError of a backbone run whose backbone files are not stored. */
export function missingBackbone(b: BackboneIdentity): UseError {
  return new UseError(
    'no-backbone',
    `This model runs on the backbone "${b.name}" (SHA-256 ${b.sha256}), which is not stored here: load its files (model.json + weight shards) first, then load the model again.` +
      (b.source ? ` It was downloaded from ${b.source}.` : ''),
  );
}

/** An index with, for each image row, the row of its first caption (what a text search shows). */
interface LoadedIndex {
  key: string;
  index: EmbeddingIndex;
  firstCaption: Map<number, string>;
}

const IMAGE_CHUNK = 256;

export class ModelService {
  private session: ModelSession | null = null;
  private loaded: LoadedModel | null = null;
  private backend: BackendInfo | null = null;
  private index: LoadedIndex | null = null;

  constructor(
    private readonly selectBackend: (choice: BackendChoice) => Promise<BackendInfo>,
    private readonly decode: ImageDecoder = decodeInBrowser,
  ) {}

  /** Loads a run's best checkpoint (by val mean R@5) when it has one, else its last; `which` picks. */
  async load({ runId, backend, which }: { runId: string; backend: BackendChoice; which?: CheckpointChoice }): Promise<LoadedModel> {
    await this.ensureBackend(backend);
    const meta = await getRun(runId);
    const pick: CheckpointChoice = meta.best && which !== 'last' ? 'best' : 'last';
    const step = pick === 'best' ? meta.best!.step : meta.step;
    if (this.loaded?.runId === runId && this.loaded.which === pick && this.loaded.step === step) return this.loaded;
    return this.install(await loadCheckpoint(runId, pick), runId, {
      which: pick,
      choice: describeChoice(meta, pick),
      hasBest: !!meta.best,
    });
  }

  async importFile({ bytes, fileName, backend }: { bytes: ArrayBuffer; fileName: string; backend: BackendChoice }): Promise<LoadedModel> {
    const info = await this.ensureBackend(backend);
    const ckpt = decodeModelFile(bytes); // validates everything before anything is stored or replaced
    const same = await findImportedRun(ckpt); // the same file imported again opens the first entry
    if (same) return this.install(ckpt, same.id, { which: 'last', choice: `imported file, step ${ckpt.step}`, hasBest: false });
    const meta = await importRun(ckpt, { fileName, backend: info.name });
    try {
      return await this.install(ckpt, meta.id, { which: 'last', choice: `imported file, step ${ckpt.step}`, hasBest: false });
    } catch (err) {
      await deleteRun(meta.id); // a file the model cannot use leaves no run behind
      throw err;
    }
  }

  /**
   * Reads a backbone's files (graph or layers model), finds or checks its feature output, and
   * stores it by SHA-256. With `expectedSha256` (a model file asked for this backbone) other files
   * are refused naming both hashes, before anything is stored.
   */
  async storeBackbone({
    files,
    options,
    expectedSha256,
    backend,
  }: {
    files: BackboneFile[];
    options?: LoadBackboneOptions;
    expectedSha256?: string;
    backend: BackendChoice;
  }): Promise<BackboneInfo> {
    await this.ensureBackend(backend);
    if (expectedSha256) {
      const { jsonBytes, shards } = readFileSet(files);
      const found = await sha256Hex([jsonBytes, ...shards]);
      if (found !== expectedSha256) {
        throw new UseError('backbone-mismatch', `backbone files: expected SHA-256 ${expectedSha256}, found ${found}`);
      }
    }
    const backbone = await loadBackbone(files, options);
    try {
      await putBackbone(backbone.identity, files);
      return { identity: backbone.identity, candidates: backbone.candidates };
    } finally {
      backbone.dispose();
    }
  }

  async score({ image, captions }: { image: ImageInput; captions: string[] }): Promise<ScoreRow[]> {
    const s = this.need();
    const { pixels, size } = await this.imagePixels(image);
    return s.score(pixels, size, captions);
  }

  async buildIndex(scope: SearchScope, progress?: Progress): Promise<IndexInfo> {
    const t0 = performance.now();
    const { loaded, cached } = await this.ensureIndex(scope, progress);
    return {
      images: loaded.index.imageIds.length,
      captions: loaded.index.captionText.length,
      cached,
      seconds: cached ? 0 : (performance.now() - t0) / 1000,
    };
  }

  async searchText({ query, k, ...scope }: SearchScope & { query: string; k: number }, progress?: Progress): Promise<ImageHit[]> {
    const s = this.need();
    requireCaptionText(query, 'search text');
    const { loaded } = await this.ensureIndex(scope, progress);
    const { index } = loaded;
    const q = await s.embedTexts([query]);
    return topK(q, index.imageEmb, index.dim, k).map((r) => {
      const image = index.imageIds[r.index];
      return { index: image, score: r.score, caption: loaded.firstCaption.get(image) ?? '' };
    });
  }

  async searchImage({ image, k, ...scope }: SearchScope & { image: ImageInput; k: number }, progress?: Progress): Promise<CaptionHit[]> {
    const s = this.need();
    const { index } = (await this.ensureIndex(scope, progress)).loaded;
    const { pixels, size } = await this.imagePixels(image);
    const q = await s.embedImages(pixels, size, 1);
    return topK(q, index.captionEmb, index.dim, k).map((r) => ({
      image: index.captionImage[r.index],
      caption: index.captionText[r.index],
      score: r.score,
    }));
  }

  /** Images of the dataset closest to `image` (the image itself left out when it is one of them). */
  async similarImages({ image, k, ...scope }: SearchScope & { image: ImageInput; k: number }, progress?: Progress): Promise<ImageHit[]> {
    const s = this.need();
    const { loaded } = await this.ensureIndex(scope, progress);
    const { index } = loaded;
    const { pixels, size } = await this.imagePixels(image);
    const q = await s.embedImages(pixels, size, 1);
    const self = image.kind === 'dataset' && image.datasetId === scope.datasetId ? image.index : -1;
    return topK(q, index.imageEmb, index.dim, k + 1)
      .filter((r) => index.imageIds[r.index] !== self)
      .slice(0, k)
      .map((r) => {
        const id = index.imageIds[r.index];
        return { index: id, score: r.score, caption: loaded.firstCaption.get(id) ?? '' };
      });
  }

  async zeroShot({ image, labels, template }: { image: ImageInput; labels: string[]; template: string }): Promise<ZeroShotRow[]> {
    const s = this.need();
    if (!labels.length) throw new UseError('no-labels', 'Type at least one label (comma-separated).');
    const { pixels, size } = await this.imagePixels(image);
    return s.zeroShot(pixels, size, labels, template);
  }

  /** The run's checkpoint as a model file: the one Use loaded (`which`, default: the loaded one, else the last). */
  async exportFile({ runId, which }: { runId: string; which?: CheckpointChoice }): Promise<{ bytes: Uint8Array; fileName: string }> {
    const pick = which ?? (this.loaded?.runId === runId ? this.loaded.which : 'last');
    const [meta, ckpt] = await Promise.all([getRun(runId), loadCheckpoint(runId, pick)]);
    const bytes = encodeModelFile(ckpt, { datasetName: meta.datasetName });
    const safe = `${meta.preset}-${meta.datasetName}-step${ckpt.step}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100);
    return { bytes, fileName: `${safe}.clip.safetensors` };
  }

  dispose(): void {
    this.session?.dispose();
    this.session = null;
    this.loaded = null;
    this.index = null;
  }

  /**
   * The pixels the loaded model is fed for `image`. A CNN run: the ingestion path (the file centre-
   * cropped to the stored side, or the dataset's stored copy), then the model's own resize. A
   * backbone run: decoded straight at the backbone's input size from the file or the dataset
   * image's original, as the feature pass does (use/backboneImages.ts), never via the 128-px copy.
   */
  private async imagePixels(image: ImageInput): Promise<{ pixels: Uint8Array; size: number }> {
    const backbone = this.need().config.imageTower === 'backbone' ? this.need().config.backbone : null;
    if (image.kind === 'file') {
      const size = backbone ? backbone.inputSize : STORED_IMAGE_SIZE;
      return { pixels: await this.decode(image.file, image.name, size), size };
    }
    if (backbone) {
      const images = await featureImagesOf(image.datasetId);
      const { pixels, side } = await readBackboneImages(image.datasetId, [image.index], backbone, images, this.decode);
      return { pixels, size: side };
    }
    const meta = await getDataset(image.datasetId);
    const [pixels] = await getPixels(image.datasetId, [image.index]);
    return { pixels, size: meta.imageSize };
  }

  private async ensureBackend(choice: BackendChoice): Promise<BackendInfo> {
    return (this.backend ??= await this.selectBackend(choice));
  }

  private need(): ModelSession {
    if (!this.session) throw new UseError('no-model', 'No model is loaded: choose a run or import a model file first.');
    return this.session;
  }

  private async install(ckpt: Checkpoint, runId: string, how: Pick<LoadedModel, 'which' | 'choice' | 'hasBest'>): Promise<LoadedModel> {
    // The backend's convolution choice (im2col on wasm, webgl and cpu) reaches the model here.
    const next = await ModelSession.fromCheckpoint(ckpt, this.backend?.convImpl, await storedBackboneOf(ckpt));
    this.dispose();
    this.session = next;
    this.loaded = {
      runId,
      step: ckpt.step,
      ...how,
      summary: describeModelFile(ckpt),
      backend: this.backend?.name ?? '',
      hasClassifier: ckpt.config.matchHidden > 0,
      calibrated: ckpt.config.matchHidden > 0 && next.calibration !== null,
      calibration: ckpt.config.matchHidden > 0 ? (next.calibration?.method ?? null) : null,
    };
    return this.loaded;
  }

  /** The index of `scope` for the loaded checkpoint: from memory, else storage, else built now. */
  private async ensureIndex({ datasetId, split }: SearchScope, progress?: Progress): Promise<{ loaded: LoadedIndex; cached: boolean }> {
    this.need();
    const { runId, step } = this.loaded!;
    const key = `${runId}:${step}:${datasetId}:${split}`;
    if (this.index?.key === key) return { loaded: this.index, cached: true };
    this.index = null; // another checkpoint, dataset or split: the old one is not kept
    const stored = await getEmbeddingIndex(runId, step, datasetId, split);
    const index = stored ?? (await this.embedDataset(datasetId, split, progress));
    if (!stored) await putEmbeddingIndex(runId, step, datasetId, split, index);
    const firstCaption = new Map<number, string>();
    index.captionImage.forEach((image, row) => firstCaption.has(image) || firstCaption.set(image, index.captionText[row]));
    if (this.loaded?.runId === runId && this.loaded.step === step) this.index = { key, index, firstCaption };
    return { loaded: { key, index, firstCaption }, cached: !!stored };
  }

  private async embedDataset(datasetId: string, split: Split | 'all', progress?: Progress): Promise<EmbeddingIndex> {
    const s = this.need();
    const meta = await getDataset(datasetId);
    const ds = await getDatasetIndex(datasetId);
    const ids: number[] = [];
    ds.splits.forEach((sp, i) => (split === 'all' || sp === split) && ids.push(i));
    const D = s.config.embedDim;
    const imageEmb = new Float32Array(ids.length * D);
    const per = meta.imageSize * meta.imageSize * 3;
    const features = await cachedFeatures(s.config.backbone, datasetId, meta.storedImages);
    for (let start = 0; start < ids.length && features; start += IMAGE_CHUNK) {
      const chunk = ids.slice(start, start + IMAGE_CHUNK);
      const F = features.length / meta.storedImages;
      const rows = new Float32Array(chunk.length * F);
      chunk.forEach((id, k) => rows.set(features.subarray(id * F, (id + 1) * F), k * F));
      imageEmb.set((await s.embedFeatures(rows, chunk.length))!, start * D);
      progress?.(start + chunk.length, ids.length, 'images embedded (cached features)');
    }
    const backbone = s.config.imageTower === 'backbone' ? s.config.backbone : null;
    const images = backbone && !features ? await featureImagesOf(datasetId) : 'copy';
    for (let start = 0; start < ids.length && !features; start += IMAGE_CHUNK) {
      const chunk = ids.slice(start, start + IMAGE_CHUNK);
      if (backbone) {
        // What the feature pass feeds the backbone: the originals at its input size (or the copies resized).
        const { pixels, side } = await readBackboneImages(datasetId, chunk, backbone, images, this.decode);
        imageEmb.set(await s.embedImages(pixels, side, chunk.length), start * D);
      } else {
        const flat = new Uint8Array(chunk.length * per);
        (await getPixels(datasetId, chunk)).forEach((p, k) => flat.set(p, k * per));
        imageEmb.set(await s.embedImages(flat, meta.imageSize, chunk.length), start * D);
      }
      progress?.(start + chunk.length, ids.length, 'images embedded');
    }
    const captionImage: number[] = [];
    const captionText: string[] = [];
    for (const i of ids)
      for (const c of ds.captions[i]) {
        captionImage.push(i);
        captionText.push(c);
      }
    return {
      version: EMBEDDING_INDEX_VERSION,
      dim: D,
      imageIds: Int32Array.from(ids),
      imageEmb,
      captionImage: Int32Array.from(captionImage),
      captionText,
      captionEmb: await s.embedTexts(captionText),
    };
  }
}

/** A backbone run's backbone, loaded from storage (undefined for a CNN run); UseError 'no-backbone' when not stored. */
async function storedBackboneOf(ckpt: Checkpoint) {
  const b = ckpt.config.imageTower === 'backbone' ? ckpt.config.backbone : null;
  if (!b) return undefined;
  if (!(await findBackbone(b.sha256))) throw missingBackbone(b);
  return loadBackbone(await getBackboneFiles(b.sha256), { name: b.name, outputNode: b.outputNode, inputSize: b.inputSize, range: b.range });
}

/** The dataset's cached plain-view features through `backbone` (of its originals, else its copies), or null (none, or not all computed). */
async function cachedFeatures(backbone: BackboneIdentity | null, datasetId: string, images: number): Promise<Float32Array | null> {
  if (!backbone) return null;
  const [plain] = await featureSources(datasetId, backbone, ['plain']);
  return loadFeatures(plain, images).catch(() => null);
}
