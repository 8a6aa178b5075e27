// TrainJob without a worker: a stored run trains on a stored dataset; events arrive in order and
// all before the job settles; the run's shape, checkpoints and status are stored; Stop, Pause
// and failures end the run with the right status; the insight pictures' data is forwarded, the
// latest map, mistakes and batch heatmap are stored and a resumed run shows them again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withOverrides } from '../../../src/config';
import { deleteDataset, type DatasetMeta } from '../../../src/storage/datasets';
import { createRun, getRun, loadCheckpoint, loadCurves, loadInsights, loadSimilarity } from '../../../src/storage/runs';
import { bestEval } from '../../../src/train/checkpointSelect';
import type { BackendInfo } from '../../../src/use/backend';
import { TrainJob, type TrainEvent } from '../../../src/workers/trainJob';
import { storeSyntheticSet } from './storedSet';

const config = withOverrides('tiny', {
  imageSize: 16,
  convChannels: [4, 8],
  embedDim: 16,
  textWidth: 16,
  matchHidden: 16,
  batchSize: 4,
  epochs: 2,
  checkpointEverySteps: 2,
});
const cpu = async (): Promise<BackendInfo> => ({ name: 'cpu', reason: 'test', adapter: null, fallbackAdapter: null, convImpl: 'im2col' });

let ds: DatasetMeta;
beforeAll(async () => {
  ds = await storeSyntheticSet({ images: 16, val: 4, size: 16 }); // 12 train captions: 3 steps per epoch
});
afterAll(() => deleteDataset(ds.id));

async function start(job: TrainJob, on: (e: TrainEvent, job: TrainJob) => void = () => {}) {
  const run = await createRun({ dataset: ds, config, backend: 'auto' });
  const events: TrainEvent[] = [];
  const result = job.run({ runId: run.id, datasetId: ds.id, config, backend: 'auto', resume: false }, async (e) => {
    await new Promise((r) => setTimeout(r, 1)); // a slow page: the job must still settle after the last event
    events.push(e);
    on(e, job);
  });
  return { run, events, result };
}

describe('TrainJob', () => {
  it('trains a stored run: events in order, shape from the trainer, checkpoints and status stored', async () => {
    const { run, events, result } = await start(new TrainJob(cpu));
    await expect(result).resolves.toEqual({ step: 6, stopped: false });
    const types = events.map((e) => e.type);
    expect(types.slice(0, 5)).toEqual(['backend', 'phase', 'history', 'phase', 'start']); // loading, then preparing
    expect(events.find((e) => e.type === 'start')).toEqual({ type: 'start', totalSteps: 6, stepsPerEpoch: 3 });
    expect(events.filter((e) => e.type === 'step').map((e) => (e as { metrics: { step: number } }).metrics.step)).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => (e as { step: number }).step)).toEqual([2, 3, 4, 6]);
    expect(events.at(-1)).toMatchObject({ type: 'phase', phase: 'done' }); // delivered before the job settled
    expect(await getRun(run.id)).toMatchObject({ status: 'done', step: 6, totalSteps: 6, backend: 'cpu' });
    expect((await loadCurves(run.id)).steps).toHaveLength(6);
    // The best checkpoint by val mean R@5 (evaluated at steps 3 and 6) is stored beside the last, with the latest calibration.
    const evals = (await loadCurves(run.id)).evals;
    expect(evals.map((e) => e.step)).toEqual([3, 6]);
    const best = bestEval(evals, 'meanR5')!;
    expect((await getRun(run.id)).best).toEqual({ step: best.step, metric: 'meanR5', metricLabel: 'mean R@5', value: best.value });
    const stored = await loadCheckpoint(run.id, 'best');
    expect(stored.step).toBe(best.step);
    expect(stored.calibration).toMatchObject({ method: 'stacked', step: best.step });
  });

  it('forwards the batch similarity and eval insights, stores the latest and shows it again on resume', async () => {
    const { run, events, result } = await start(new TrainJob(cpu));
    await result;
    const sims = events.filter((e) => e.type === 'similarity');
    expect(sims.map((e) => e.similarity.step)).toEqual([1]); // every 10th read step: step 1 only in a 6-step run
    const insights = events.filter((e) => e.type === 'insights').map((e) => e.insights);
    expect(insights.map((i) => i.step)).toEqual([3, 6]);
    expect(await loadInsights(run.id)).toEqual(insights[1]);
    expect(await loadSimilarity(run.id)).toEqual(sims[0].similarity); // the heatmap's last batch, kept for a reload

    const again: TrainEvent[] = [];
    await new TrainJob(cpu).run(
      { runId: run.id, datasetId: ds.id, config: { ...config, epochs: 3 }, backend: 'auto', resume: true },
      (e) => void again.push(e),
    );
    const shown = again.filter((e) => e.type === 'insights').map((e) => e.insights.step);
    expect(shown).toEqual([6, 9]); // the stored one at once, then the new evaluation's
    expect(again.findIndex((e) => e.type === 'insights')).toBeLessThan(again.findIndex((e) => e.type === 'step'));
    const firstSim = again.find((e) => e.type === 'similarity');
    expect(firstSim?.type === 'similarity' && firstSim.similarity).toEqual(sims[0].similarity); // the stored heatmap at once
    expect(again.indexOf(firstSim!)).toBeLessThan(again.findIndex((e) => e.type === 'step'));
  });

  it('Pause holds the loop until Resume; Stop ends the run as stopped', async () => {
    const job = new TrainJob(cpu);
    const { run, events, result } = await start(job, (e, j) => {
      if (e.type === 'step' && e.metrics.step === 1) {
        j.pause();
        setTimeout(() => j.resume(), 50);
      }
      if (e.type === 'resumed') j.stop();
    });
    const r = await result;
    expect(r.stopped).toBe(true);
    expect(r.step).toBeLessThan(6);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['paused', 'resumed']));
    expect(await getRun(run.id)).toMatchObject({ status: 'stopped', step: r.step });
  });

  it('a failure rejects with the error and marks the run failed with its message', async () => {
    const run = await createRun({ dataset: ds, config, backend: 'auto' });
    const job = new TrainJob(cpu);
    const err = await job
      .run({ runId: run.id, datasetId: 'no-such-dataset', config, backend: 'auto', resume: false }, () => {})
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'StorageError', code: 'not-found' });
    expect(await getRun(run.id)).toMatchObject({ status: 'failed', error: 'No dataset with id no-such-dataset is stored.' });
  });
});
