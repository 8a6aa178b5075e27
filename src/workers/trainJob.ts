// One training job of a stored run, as the train worker runs it but testable without a worker:
// picks the backend, loads the dataset, resumes from the run's checkpoint when asked, trains
// with the trainer (which owns the run's shape), saves checkpoints and the run's status, and
// reports everything as events. Pause, Resume and Stop act between steps. A lost GPU device
// stops the run with a 'device-lost' error that says where Resume continues.
import * as tf from '@tensorflow/tfjs';
import type { BackendName, TrainConfig } from '../config';
import { loadTrainingSet } from '../storage/datasets';
import {
  loadCheckpoint,
  loadInsights,
  loadSimilarity,
  saveCheckpoint,
  saveInsights,
  saveSimilarity,
  setRunStatus,
  type BestCheckpointInfo,
} from '../storage/runs';
import { bestEval } from '../train/checkpointSelect';
import type { BatchSimilarity, EvalInsights } from '../train/insights';
import { loadFeatures } from '../storage/features';
import { featureSources } from '../use/backboneImages';
import type { RunFeatures } from '../train/towers';
import { runTraining } from '../train/trainer';
import { TrainError, type Checkpoint, type EvalMetrics, type RunShape, type StepMetrics, type TrainPhase } from '../train/types';
import type { BackendChoice, BackendInfo } from '../use/backend';

export interface TrainRequest {
  runId: string;
  datasetId: string;
  config: TrainConfig;
  backend: BackendName | 'auto';
  resume: boolean;
}

/** What a running job reports, in order; the job's promise settles after the last one arrived. */
export type TrainEvent =
  | { type: 'backend'; info: BackendInfo }
  | { type: 'phase'; phase: TrainPhase | 'loading'; detail?: string }
  | { type: 'history'; steps: StepMetrics[]; evals: EvalMetrics[] } // a resumed run's curves so far
  | ({ type: 'start' } & RunShape)
  | { type: 'step'; metrics: StepMetrics }
  | { type: 'eval'; metrics: EvalMetrics }
  | { type: 'similarity'; similarity: BatchSimilarity } // the live batch's cosine matrix
  | { type: 'insights'; insights: EvalInsights } // embedding map and worst mistakes, stored with the run
  | { type: 'checkpoint'; step: number }
  | { type: 'paused' | 'resumed' };

export interface TrainResult {
  step: number;
  stopped: boolean;
}

/** Checkpoints are ranked by mean R@5 over both directions (val); the best one is kept beside the last. */
const BEST_BY = 'meanR5' as const;

/** The best-checkpoint record for `ckpt` when its own evaluation is the best so far; undefined otherwise. */
export function bestInfoFor(ckpt: Checkpoint): BestCheckpointInfo | undefined {
  const best = bestEval(ckpt.history.evals, BEST_BY);
  if (!best || best.step !== ckpt.step || !best.isLast) return undefined;
  return { step: best.step, metric: BEST_BY, metricLabel: 'mean R@5', value: best.value };
}

/** The job's events go to `emit`; a returned promise is awaited before the job settles (ordering). */
export type Emit = (e: TrainEvent) => unknown;

/** A backbone run's cached features (the flipped view too when it trains on it); undefined for the CNN. */
async function runFeatures(datasetId: string, config: TrainConfig, images: number): Promise<RunFeatures | undefined> {
  const backbone = config.imageTower === 'backbone' ? config.backbone : null;
  if (!backbone) return undefined;
  const [plainSource, flipSource] = await featureSources(datasetId, backbone, ['plain', 'flip']); // originals, or copies when none are stored
  const plain = await loadFeatures(plainSource, images);
  const flip = config.flipViews ? await loadFeatures(flipSource, images) : null;
  return { featureSize: backbone.featureSize, plain, flip };
}

export class TrainJob {
  private abort = new AbortController();
  private paused: { promise: Promise<void>; release: () => void } | null = null;
  private deviceLost: string | null = null;
  private delivering = new Set<Promise<unknown>>();
  private emitTo: Emit = () => {};

  constructor(private readonly selectBackend: (choice: BackendChoice) => Promise<BackendInfo>) {}

  /** Runs the job to its end; rejects (after marking the run failed) with the error the UI shows. */
  async run(req: TrainRequest, emit: Emit): Promise<TrainResult> {
    this.abort = new AbortController();
    this.deviceLost = null;
    this.emitTo = emit;
    try {
      return await this.train(req);
    } catch (err) {
      const shown =
        this.deviceLost && (err as { code?: string }).code !== 'device-lost'
          ? new TrainError('device-lost', `Training stopped: ${this.deviceLost}. ${(err as Error).message}`, { cause: err })
          : err;
      try {
        await setRunStatus(req.runId, 'failed', { error: shown instanceof Error ? shown.message : String(shown) });
      } catch {
        /* the run record itself is unreadable: the error below still reaches the UI */
      }
      throw shown;
    } finally {
      await this.delivered();
    }
  }

  pause(): void {
    if (this.paused) return;
    let release = () => {};
    const promise = new Promise<void>((r) => (release = r));
    this.paused = { promise, release };
    this.emit({ type: 'paused' });
  }

  resume(): void {
    this.paused?.release();
    this.paused = null;
    this.emit({ type: 'resumed' });
  }

  stop(): void {
    this.abort.abort();
    this.paused?.release();
    this.paused = null;
  }

  private emit(e: TrainEvent) {
    const p = Promise.resolve(this.emitTo(e)).catch(() => {}); // a page gone away is not the job's error
    this.delivering.add(p);
    void p.finally(() => this.delivering.delete(p));
  }

  private async delivered() {
    while (this.delivering.size) await Promise.all([...this.delivering]);
  }

  private watchDeviceLoss() {
    const backend = tf.backend() as unknown as { device?: { lost?: Promise<{ reason?: string; message?: string }> } };
    void backend.device?.lost?.then((info) => {
      this.deviceLost = `the GPU device was lost (${info.reason ?? 'unknown reason'}${info.message ? `: ${info.message}` : ''})`;
      this.stop();
    });
  }

  private async train(req: TrainRequest): Promise<TrainResult> {
    const info = await this.selectBackend(req.backend);
    this.emit({ type: 'backend', info });
    if (info.name === 'webgpu') this.watchDeviceLoss();
    this.emit({ type: 'phase', phase: 'loading', detail: 'Reading the dataset from storage…' });
    const data = await loadTrainingSet(req.datasetId);
    const features = await runFeatures(req.datasetId, req.config, data.imageNames.length);
    const resume: Checkpoint | undefined = req.resume ? await loadCheckpoint(req.runId) : undefined;
    this.emit({ type: 'history', steps: resume?.history.steps ?? [], evals: resume?.history.evals ?? [] });
    const stored = resume ? await loadInsights(req.runId) : null; // a resumed run shows its last map until the next evaluation
    if (stored) this.emit({ type: 'insights', insights: stored });
    const storedSimilarity = resume ? await loadSimilarity(req.runId) : null; // and its last batch heatmap
    if (storedSimilarity) this.emit({ type: 'similarity', similarity: storedSimilarity });
    await setRunStatus(req.runId, 'running', { backend: info.name });

    let lastSaved = resume?.step ?? 0;
    let saving = Promise.resolve();
    // The latest batch heatmap is stored with each checkpoint and at the end (not every 10 steps).
    let similarity: BatchSimilarity | null = null;
    const saveLatestSimilarity = async () => {
      if (similarity) await saveSimilarity(req.runId, similarity);
    };
    const final = await runTraining(data, req.config, {
      signal: this.abort.signal,
      resume,
      convImpl: info.convImpl,
      features,
      datasetName: data.name,
      stepMetricsEvery: 1,
      pause: () => this.paused?.promise ?? Promise.resolve(),
      callbacks: {
        onStart: (shape) => {
          this.emit({ type: 'start', ...shape });
          saving = saving.then(
            async () => void (await setRunStatus(req.runId, 'running', { backend: info.name, totalSteps: shape.totalSteps })),
          );
        },
        onPhase: (phase, detail) => this.emit({ type: 'phase', phase, detail }),
        onStep: (metrics) => this.emit({ type: 'step', metrics }),
        onEval: (metrics) => this.emit({ type: 'eval', metrics }),
        onSimilarity: (latest) => {
          similarity = latest;
          this.emit({ type: 'similarity', similarity: latest });
        },
        onInsights: (insights) => {
          this.emit({ type: 'insights', insights });
          saving = saving.then(() => saveInsights(req.runId, insights));
        },
        onCheckpoint: async (ckpt) => {
          saving = saving.then(async () => {
            lastSaved = (await saveCheckpoint(req.runId, ckpt, { best: bestInfoFor(ckpt) })).step;
            await saveLatestSimilarity();
            this.emit({ type: 'checkpoint', step: ckpt.step });
          });
          await saving;
        },
      },
    });
    await saving;
    if (this.deviceLost)
      throw new TrainError(
        'device-lost',
        `Training stopped: ${this.deviceLost}. Resume continues from the last checkpoint (step ${lastSaved}).`,
      );
    const stopped = this.abort.signal.aborted;
    await saveCheckpoint(req.runId, final, { best: bestInfoFor(final) });
    await saveLatestSimilarity();
    await setRunStatus(req.runId, stopped ? 'stopped' : 'done');
    return { step: final.step, stopped };
  }
}
