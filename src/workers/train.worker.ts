// Train worker: adapts the training loop's callbacks to postMessage and storage. It picks the
// backend, loads the dataset from IndexedDB, resumes from the run's checkpoint when asked, saves
// checkpoints, and turns every failure (lost GPU device included) into an 'error' message.
import * as tf from '@tensorflow/tfjs';
import { loadTrainingSet } from '../storage/datasets';
import { loadCheckpoint, saveCheckpoint, setRunStatus } from '../storage/runs';
import { selectBackend } from '../workers/backend';
import { runTraining } from '../train/trainer';
import type { Checkpoint } from '../train/types';
import { PROTOCOL_VERSION, serializeError, type TrainRequest, type TrainResponse } from './protocol';

type Unversioned<T> = T extends unknown ? Omit<T, 'v'> : never;
const post = (msg: Unversioned<TrainResponse>) => (self as unknown as Worker).postMessage({ v: PROTOCOL_VERSION, ...msg });

let abort: AbortController | null = null;
let paused: { promise: Promise<void>; release: () => void } | null = null;
let deviceLost: string | null = null;

function watchDeviceLoss() {
  const backend = tf.backend() as unknown as { device?: { lost?: Promise<{ reason?: string; message?: string }> } };
  void backend.device?.lost?.then((info) => {
    deviceLost = `the GPU device was lost (${info.reason ?? 'unknown reason'}${info.message ? `: ${info.message}` : ''})`;
    abort?.abort();
    paused?.release();
  });
}

async function start(req: Extract<TrainRequest, { type: 'start' }>) {
  abort = new AbortController();
  deviceLost = null;
  const info = await selectBackend(req.backend);
  post({ type: 'backend', info });
  if (info.name === 'webgpu') watchDeviceLoss();
  post({ type: 'phase', phase: 'loading', detail: 'Reading the dataset from storage…' });
  const data = await loadTrainingSet(req.datasetId);
  const resume: Checkpoint | undefined = req.resume ? await loadCheckpoint(req.runId) : undefined;
  const trainCaptions = data.captions.filter((c) => data.imageSplit[c.image] === 0).length;
  const totalSteps = Math.max(1, Math.floor(trainCaptions / req.config.batchSize)) * req.config.epochs;
  post({ type: 'history', steps: resume?.history.steps ?? [], evals: resume?.history.evals ?? [], totalSteps });
  let meta = await setRunStatus(req.runId, 'running', { backend: info.name, totalSteps });

  let saving = Promise.resolve();
  const final = await runTraining(data, req.config, {
    signal: abort.signal,
    resume,
    convImpl: info.convImpl,
    datasetName: data.name,
    stepMetricsEvery: 1,
    pause: () => paused?.promise ?? Promise.resolve(),
    callbacks: {
      onPhase: (phase, detail) => post({ type: 'phase', phase, detail }),
      onStep: (metrics) => post({ type: 'step', metrics }),
      onEval: (metrics) => post({ type: 'eval', metrics }),
      onCheckpoint: async (ckpt) => {
        saving = saving.then(async () => {
          meta = await saveCheckpoint(req.runId, ckpt);
          post({ type: 'checkpoint', step: ckpt.step });
        });
        await saving;
      },
    },
  });
  await saving;
  if (deviceLost) throw Object.assign(new Error(`Training stopped: ${deviceLost}. Resume continues from the last checkpoint (step ${meta.step}).`), { code: 'device-lost' });
  const stopped = abort.signal.aborted;
  await saveCheckpoint(req.runId, final);
  await setRunStatus(req.runId, stopped ? 'stopped' : 'done');
  post({ type: 'done', step: final.step, stopped });
}

self.onmessage = (ev: MessageEvent<TrainRequest>) => {
  const req = ev.data;
  if (req?.v !== PROTOCOL_VERSION) {
    post({ type: 'error', error: { name: 'ProtocolError', message: `train worker speaks protocol ${PROTOCOL_VERSION}, got ${String(req?.v)}` } });
    return;
  }
  switch (req.type) {
    case 'start':
      start(req).catch(async (err) => {
        const error = serializeError(err);
        if (deviceLost && error.code !== 'device-lost') {
          error.message = `Training stopped: ${deviceLost}. ${error.message}`;
          error.code = 'device-lost';
        }
        try {
          await setRunStatus(req.runId, 'failed', { error: error.message });
        } catch {
          /* the run record itself is unreadable: the error below still reaches the UI */
        }
        post({ type: 'error', error });
      });
      break;
    case 'pause':
      if (!paused) {
        let release = () => {};
        const promise = new Promise<void>((r) => (release = r));
        paused = { promise, release };
        post({ type: 'paused' });
      }
      break;
    case 'resume':
      paused?.release();
      paused = null;
      post({ type: 'resumed' });
      break;
    case 'stop':
      abort?.abort();
      paused?.release();
      paused = null;
      break;
    default:
      post({ type: 'error', error: { name: 'ProtocolError', message: `train worker: unknown message type ${(req as { type?: string }).type}` } });
  }
};
