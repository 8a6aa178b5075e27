// Main-thread API for training: owns one train worker through the RPC layer, starts a job with a
// proxied event callback and turns its end into a 'done' or 'error' event. The UI never sees a
// worker message.
import { connect, proxy, type Connection } from './rpc';
import type { trainApi } from './train.worker';
import type { TrainEvent as JobEvent, TrainRequest } from './trainJob';

export type TrainEvent = JobEvent | { type: 'done'; step: number; stopped: boolean } | { type: 'error'; error: Error };

export class TrainClient {
  private conn: Connection<typeof trainApi> | null = null;

  constructor(private readonly onEvent: (e: TrainEvent) => void) {}

  start(req: TrainRequest) {
    this.dispose();
    const conn = connect<typeof trainApi>(
      new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'train' }),
      'training',
    );
    this.conn = conn;
    conn
      .run((api) => api.start(req, proxy(this.onEvent)))
      .then(
        (r) => this.conn === conn && this.onEvent({ type: 'done', ...r }),
        (err: unknown) => this.conn === conn && this.onEvent({ type: 'error', error: err instanceof Error ? err : new Error(String(err)) }),
      );
  }

  pause() {
    void this.conn?.run((api) => api.pause()).catch(() => {}); // a failed job reports through start()
  }

  resume() {
    void this.conn?.run((api) => api.resume()).catch(() => {});
  }

  stop() {
    void this.conn?.run((api) => api.stop()).catch(() => {});
  }

  dispose() {
    const conn = this.conn;
    this.conn = null;
    conn?.close('training was closed');
  }
}
