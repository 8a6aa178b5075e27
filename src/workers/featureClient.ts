// Main-thread API for the feature pass: runs FeatureJob in its own train worker (so a training
// run and a feature pass never share a backend), forwards its events and settles with the result.
// Cancel stops between batches; close ends the worker.
import { connect, proxy, type Connection } from './rpc';
import type { FeatureEvent, FeatureRequest, FeatureResult } from './featureJob';
import type { trainApi } from './train.worker';

export class FeatureClient {
  private conn: Connection<typeof trainApi> | null = null;

  /** Runs the pass; rejects with the job's error (a closed client rejects with RpcError 'closed'). */
  run(req: FeatureRequest, onEvent: (e: FeatureEvent) => void): Promise<FeatureResult> {
    this.close();
    const conn = connect<typeof trainApi>(
      new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module', name: 'features' }),
      'feature pass',
    );
    this.conn = conn;
    return conn
      .run((api) => api.features(req, proxy(onEvent)))
      .finally(() => {
        if (this.conn === conn) this.close();
      });
  }

  cancel(): void {
    void this.conn?.run((api) => api.cancelFeatures()).catch(() => {});
  }

  close(): void {
    const conn = this.conn;
    this.conn = null;
    conn?.close('the feature pass was closed');
  }
}
