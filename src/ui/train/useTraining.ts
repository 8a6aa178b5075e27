// React state for one live training session: wires TrainClient events into throttled state
// updates (charts redraw at most a few times a second, so the page never freezes).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { BackendName, TrainConfig } from '../../config';
import type { BackendInfo } from '../../use/backend';
import type { BatchSimilarity, EvalInsights } from '../../train/insights';
import type { EvalMetrics, StepMetrics } from '../../train/types';
import { TrainClient, type TrainEvent } from '../../workers/trainClient';

export type LiveStatus = 'idle' | 'starting' | 'running' | 'paused' | 'stopping' | 'done' | 'stopped' | 'failed';

export interface LiveTraining {
  runId: string | null;
  status: LiveStatus;
  backend: BackendInfo | null;
  phase: string;
  phaseDetail: string;
  steps: StepMetrics[];
  evals: EvalMetrics[];
  totalSteps: number;
  checkpointStep: number | null;
  error: Error | null;
  similarity: BatchSimilarity | null; // the latest batch's cosine matrix (live runs only)
  insights: EvalInsights | null; // the latest embedding map and worst mistakes
}

const INITIAL: LiveTraining = {
  runId: null,
  status: 'idle',
  backend: null,
  phase: '',
  phaseDetail: '',
  steps: [],
  evals: [],
  totalSteps: 0,
  checkpointStep: null,
  error: null,
  similarity: null,
  insights: null,
};
const FLUSH_MS = 300;

export function useTraining(onFinished: () => void) {
  const [state, setState] = useState<LiveTraining>(INITIAL);
  const pending = useRef<StepMetrics[]>([]);
  const timer = useRef<number | null>(null);
  const client = useRef<TrainClient | null>(null);
  const finished = useRef(onFinished);
  finished.current = onFinished;

  const flush = useCallback(() => {
    timer.current = null;
    const add = pending.current;
    pending.current = [];
    if (add.length) setState((s) => ({ ...s, steps: [...s.steps, ...add] }));
  }, []);

  const onEvent = useCallback(
    (e: TrainEvent) => {
      switch (e.type) {
        case 'backend':
          setState((s) => ({ ...s, backend: e.info }));
          break;
        case 'phase':
          setState((s) => ({
            ...s,
            phase: e.phase,
            phaseDetail: e.detail ?? '',
            status: s.status === 'starting' && e.phase === 'training' ? 'running' : s.status,
          }));
          break;
        case 'history':
          setState((s) => ({ ...s, steps: e.steps, evals: e.evals }));
          break;
        case 'start':
          setState((s) => ({ ...s, totalSteps: e.totalSteps }));
          break;
        case 'step':
          pending.current.push(e.metrics);
          if (timer.current === null) timer.current = window.setTimeout(flush, FLUSH_MS);
          break;
        case 'eval':
          setState((s) => ({ ...s, evals: [...s.evals, e.metrics] }));
          break;
        case 'similarity':
          setState((s) => ({ ...s, similarity: e.similarity }));
          break;
        case 'insights':
          setState((s) => ({ ...s, insights: e.insights }));
          break;
        case 'checkpoint':
          setState((s) => ({ ...s, checkpointStep: e.step }));
          finished.current();
          break;
        case 'paused':
          setState((s) => ({ ...s, status: 'paused' }));
          break;
        case 'resumed':
          setState((s) => ({ ...s, status: 'running' }));
          break;
        case 'done':
          flush();
          // A finished run's length is the steps it trained: the bar ends full and agrees with the status.
          setState((s) => ({ ...s, status: e.stopped ? 'stopped' : 'done', phase: 'done', totalSteps: e.stopped ? s.totalSteps : e.step }));
          client.current?.dispose();
          client.current = null;
          finished.current();
          break;
        case 'error':
          flush();
          setState((s) => ({ ...s, status: 'failed', error: e.error }));
          client.current?.dispose();
          client.current = null;
          finished.current();
          break;
      }
    },
    [flush],
  );

  useEffect(() => () => client.current?.dispose(), []);

  const start = useCallback(
    (opts: { runId: string; datasetId: string; config: TrainConfig; backend: BackendName | 'auto'; resume: boolean }) => {
      pending.current = [];
      setState({ ...INITIAL, runId: opts.runId, status: 'starting', phase: 'starting', phaseDetail: 'Starting the training worker…' });
      const c = new TrainClient(onEvent);
      client.current = c;
      c.start(opts);
    },
    [onEvent],
  );

  return {
    state,
    start,
    pause: () => client.current?.pause(),
    resume: () => client.current?.resume(),
    stop: () => {
      setState((s) => ({ ...s, status: 'stopping' }));
      client.current?.stop();
    },
    /** Shows a stored run: its curves, its latest eval insights and its last batch heatmap. */
    show: (
      runId: string,
      view: {
        steps: StepMetrics[];
        evals: EvalMetrics[];
        totalSteps: number;
        insights: EvalInsights | null;
        similarity: BatchSimilarity | null;
      },
    ) => setState({ ...INITIAL, runId, status: 'idle', ...view }),
    live: state.status === 'starting' || state.status === 'running' || state.status === 'paused' || state.status === 'stopping',
  };
}
