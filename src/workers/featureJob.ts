// The feature pass as a job of the train worker, testable without a worker: loads a stored
// backbone, runs it over a stored dataset's preprocessed images (resized to its input size by
// extractFeatures), plain and/or flipped, on the backend chosen, and stores the features chunk by
// chunk. Chunks already stored are skipped, so a pass cut short by a reload resumes where it
// stopped. Reports progress with an ETA; Cancel stops between batches (the current chunk is lost).
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../config';
import { LabError } from '../errors';
import { extractFeatures, loadBackbone, type Backbone, type BackboneIdentity } from '../model/backbone';
import { getBackboneFiles } from '../storage/backbones';
import { getDataset, getPixels } from '../storage/datasets';
import { putFeatureChunk, storedFeatureChunks, type FeatureSource, type FeatureView } from '../storage/features';
import type { BackendChoice, BackendInfo } from '../use/backend';

/** Images per stored chunk (one transaction; the most a reload can lose) and per backbone call. */
export const FEATURE_CHUNK = 64;
const BATCH = 16;

export interface FeatureRequest {
  datasetId: string;
  backbone: BackboneIdentity;
  views: FeatureView[];
  backend: BackendName | 'auto';
}

export type FeatureEvent =
  | { type: 'backend'; info: BackendInfo }
  | { type: 'phase'; detail: string }
  | { type: 'progress'; progress: FeatureProgress };

export interface FeatureProgress {
  done: number; // images × views with stored features (those found stored count too)
  total: number; // images × views
  computed: number; // computed by this call
  imagesPerSec: number | null; // this call's rate (null until a chunk is computed)
  etaSeconds: number | null;
}

export interface FeatureResult {
  images: number;
  computed: number; // images × views computed now (0: everything was stored)
  seconds: number;
  cancelled: boolean;
}

export type FeatureErrorCode = 'mismatch';

export class FeatureJobError extends LabError<FeatureErrorCode> {
  override readonly name = 'FeatureJobError';
}

/** Loads the stored backbone of `identity` with its chosen node, size and range; checks what it finds. */
export async function loadStoredBackbone(identity: BackboneIdentity): Promise<Backbone> {
  const files = await getBackboneFiles(identity.sha256);
  const backbone = await loadBackbone(files, {
    name: identity.name,
    outputNode: identity.outputNode,
    inputSize: identity.inputSize,
    range: identity.range,
  });
  const found = backbone.identity;
  if (found.sha256 !== identity.sha256 || found.featureSize !== identity.featureSize) {
    backbone.dispose();
    throw new FeatureJobError(
      'mismatch',
      `backbone "${identity.name}": expected sha256 ${identity.sha256.slice(0, 12)}… with ${identity.featureSize} features, found ${found.sha256.slice(0, 12)}… with ${found.featureSize}`,
    );
  }
  return backbone;
}

export class FeatureJob {
  private abort = new AbortController();

  constructor(private readonly selectBackend: (choice: BackendChoice) => Promise<BackendInfo>) {}

  cancel(): void {
    this.abort.abort();
  }

  async run(req: FeatureRequest, emit: (e: FeatureEvent) => unknown): Promise<FeatureResult> {
    this.abort = new AbortController();
    const signal = this.abort.signal;
    const t0 = performance.now();
    const meta = await getDataset(req.datasetId);
    const N = meta.storedImages;
    const chunks = Math.ceil(N / FEATURE_CHUNK);
    const sources = req.views.map((view): FeatureSource => ({ datasetId: req.datasetId, backbone: req.backbone, view }));
    const stored = await Promise.all(sources.map(async (s) => new Set(await storedFeatureChunks(s))));
    const chunkSize = (c: number) => Math.min(FEATURE_CHUNK, N - c * FEATURE_CHUNK);
    const total = N * sources.length;
    let done = stored.reduce((n, set) => n + [...set].filter((c) => c < chunks).reduce((m, c) => m + chunkSize(c), 0), 0);
    let computed = 0;
    const progress = (): FeatureProgress => {
      const seconds = (performance.now() - t0) / 1000;
      const rate = computed > 0 ? computed / seconds : null;
      return { done, total, computed, imagesPerSec: rate, etaSeconds: rate ? (total - done) / rate : null };
    };
    emit({ type: 'progress', progress: progress() });
    const result = (cancelled: boolean): FeatureResult => ({ images: N, computed, seconds: (performance.now() - t0) / 1000, cancelled });
    if (done === total) return result(false);

    emit({ type: 'backend', info: await this.selectBackend(req.backend) });
    emit({ type: 'phase', detail: `Loading the backbone "${req.backbone.name}"…` });
    const backbone = await loadStoredBackbone(req.backbone);
    try {
      emit({ type: 'phase', detail: `Computing features of ${N} images (${req.views.join(' + ')})…` });
      const S = meta.imageSize;
      for (let c = 0; c < chunks; c++) {
        const missing = sources.filter((_, v) => !stored[v].has(c));
        if (missing.length === 0) continue;
        const start = c * FEATURE_CHUNK;
        const ids = Array.from({ length: chunkSize(c) }, (_, k) => start + k);
        const pixels = await getPixels(req.datasetId, ids); // [S, S, 3] uint8 each
        for (const source of missing) {
          const rows = new Float32Array(ids.length * backbone.identity.featureSize);
          for (let b = 0; b < ids.length; b += BATCH) {
            if (signal.aborted) return result(true);
            const n = Math.min(BATCH, ids.length - b);
            const batch = new Int32Array(n * S * S * 3);
            for (let k = 0; k < n; k++) batch.set(pixels[b + k], k * S * S * 3);
            const f = tf.tidy(() => extractFeatures(backbone, tf.tensor4d(batch, [n, S, S, 3], 'int32'), { flip: source.view === 'flip' }));
            rows.set((await f.data()) as Float32Array, b * backbone.identity.featureSize);
            f.dispose();
          }
          await putFeatureChunk(source, c, { start, count: ids.length, rows });
          done += ids.length;
          computed += ids.length;
          emit({ type: 'progress', progress: progress() });
        }
      }
      return result(false);
    } finally {
      backbone.dispose();
    }
  }
}
