// Main-thread API for training: owns one train worker, sends typed requests and hands typed
// responses to a listener. The UI never calls postMessage itself.
import type { BackendName, TrainConfig } from '../config';
import { PROTOCOL_VERSION, RemoteError, type TrainRequest, type TrainResponse } from './protocol';

export type TrainEvent = TrainResponse | { v: typeof PROTOCOL_VERSION; type: 'crashed'; error: Error };

export class TrainClient {
  private worker: Worker | null = null;

  constructor(private readonly onEvent: (e: TrainEvent) => void) {}

  start(opts: { runId: string; datasetId: string; config: TrainConfig; backend: BackendName | 'auto'; resume: boolean }) {
    this.dispose();
    const worker = new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'train' });
    worker.onmessage = (ev: MessageEvent<TrainResponse>) => {
      if (ev.data?.v !== PROTOCOL_VERSION) {
        this.onEvent({ v: PROTOCOL_VERSION, type: 'crashed', error: new Error(`train worker answered in protocol ${String(ev.data?.v)}`) });
        return;
      }
      this.onEvent(ev.data);
    };
    worker.onerror = (ev) => {
      ev.preventDefault();
      this.onEvent({ v: PROTOCOL_VERSION, type: 'crashed', error: new Error(`The training worker crashed: ${ev.message || 'unknown error'}`) });
    };
    this.worker = worker;
    this.send({ v: PROTOCOL_VERSION, type: 'start', ...opts });
  }

  pause() {
    this.send({ v: PROTOCOL_VERSION, type: 'pause' });
  }

  resume() {
    this.send({ v: PROTOCOL_VERSION, type: 'resume' });
  }

  stop() {
    this.send({ v: PROTOCOL_VERSION, type: 'stop' });
  }

  dispose() {
    this.worker?.terminate();
    this.worker = null;
  }

  private send(msg: TrainRequest) {
    this.worker?.postMessage(msg);
  }
}

export function errorFromEvent(e: Extract<TrainEvent, { type: 'error' | 'crashed' }>): Error {
  return e.type === 'crashed' ? e.error : new RemoteError(e.error);
}
