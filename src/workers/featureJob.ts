// The feature pass as a job of the train worker, testable without a worker: loads a stored
// backbone, runs it over a stored dataset's images at its input size (each original decoded there,
// or the 128-px copies resized when the dataset keeps no originals: use/backboneImages.ts), plain
// and/or flipped, on the backend chosen, and stores the features chunk by chunk, the next chunk's
// images decoding while the backbone runs. Chunks already stored are skipped, so a pass cut short
// by a reload resumes where it stopped. Reports progress with an ETA; Cancel stops between batches
// (the current chunk is lost).
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../config';
import { LabError } from '../errors';
import { extractFeatures, loadBackbone, type Backbone, type BackboneIdentity } from '../model/backbone';
import { getBackboneFiles } from '../storage/backbones';
import { getDataset } from '../storage/datasets';
import { deleteStaleFeatures, putFeatureChunk, storedFeatureChunks, type FeatureImages, type FeatureView } from '../storage/features';
import type { BackendChoice, BackendInfo } from '../use/backend';
import { decodeInBrowser, featureSources, readBackboneImages, type BackboneImages, type ImageDecoder } from '../use/backboneImages';

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
  source: FeatureImages; // 'copy': the dataset keeps no originals, features came from its 128-px copies
  fromCopies: number; // images read from their copy in this call ('copy' source, or an original missing or undecodable)
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

  constructor(
    private readonly selectBackend: (choice: BackendChoice) => Promise<BackendInfo>,
    private readonly decode: ImageDecoder = decodeInBrowser,
  ) {}

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
    await deleteStaleFeatures(req.datasetId); // chunks of the older format (128-px copies): never mixed in
    const sources = await featureSources(req.datasetId, req.backbone, req.views);
    const images = sources[0]?.images ?? 'copy';
    const stored = await Promise.all(sources.map(async (s) => new Set(await storedFeatureChunks(s))));
    const chunkSize = (c: number) => Math.min(FEATURE_CHUNK, N - c * FEATURE_CHUNK);
    const total = N * sources.length;
    let done = stored.reduce((n, set) => n + [...set].filter((c) => c < chunks).reduce((m, c) => m + chunkSize(c), 0), 0);
    let computed = 0;
    let fromCopies = 0;
    const progress = (): FeatureProgress => {
      const seconds = (performance.now() - t0) / 1000;
      const rate = computed > 0 ? computed / seconds : null;
      return { done, total, computed, imagesPerSec: rate, etaSeconds: rate ? (total - done) / rate : null };
    };
    emit({ type: 'progress', progress: progress() });
    const result = (cancelled: boolean): FeatureResult => ({
      images: N,
      computed,
      seconds: (performance.now() - t0) / 1000,
      cancelled,
      source: images,
      fromCopies,
    });
    if (done === total) return result(false);

    emit({ type: 'backend', info: await this.selectBackend(req.backend) });
    emit({ type: 'phase', detail: `Loading the backbone "${req.backbone.name}"…` });
    const backbone = await loadStoredBackbone(req.backbone);
    const todo = Array.from({ length: chunks }, (_, c) => c).filter((c) => sources.some((_, v) => !stored[v].has(c)));
    const read = (c: number) => {
      const ids = Array.from({ length: chunkSize(c) }, (_, k) => c * FEATURE_CHUNK + k);
      const p = readBackboneImages(req.datasetId, ids, backbone.identity, images, this.decode);
      p.catch(() => {}); // awaited below; a pass cancelled first leaves it unawaited
      return p;
    };
    try {
      const what = images === 'original' ? 'originals' : '128-px copies (originals not stored)';
      emit({ type: 'phase', detail: `Computing features of ${N} images from their ${what} (${req.views.join(' + ')})…` });
      let next = todo.length ? read(todo[0]) : null;
      for (const [t, c] of todo.entries()) {
        const batch: BackboneImages = await next!;
        next = t + 1 < todo.length ? read(todo[t + 1]) : null; // decodes while the backbone runs on this chunk
        fromCopies += batch.fromCopies;
        for (const [v, source] of sources.entries()) {
          if (stored[v].has(c)) continue;
          const rows = await this.features(backbone, batch, source.view === 'flip', signal);
          if (!rows) return result(true);
          await putFeatureChunk(source, c, { start: c * FEATURE_CHUNK, count: chunkSize(c), rows });
          done += chunkSize(c);
          computed += chunkSize(c);
          emit({ type: 'progress', progress: progress() });
        }
      }
      return result(false);
    } finally {
      backbone.dispose();
    }
  }

  /** Features [n, F] of a chunk's images, BATCH at a time; null when cancelled between batches. */
  private async features(backbone: Backbone, { pixels, side }: BackboneImages, flip: boolean, signal: AbortSignal) {
    const per = side * side * 3;
    const n = pixels.length / per;
    const F = backbone.identity.featureSize;
    const rows = new Float32Array(n * F);
    for (let b = 0; b < n; b += BATCH) {
      if (signal.aborted) return null;
      const k = Math.min(BATCH, n - b);
      const f = tf.tidy(() =>
        extractFeatures(backbone, tf.tensor4d(pixels.subarray(b * per, (b + k) * per), [k, side, side, 3], 'int32'), { flip }),
      );
      rows.set((await f.data()) as Float32Array, b * F);
      f.dispose();
    }
    return rows;
  }
}
