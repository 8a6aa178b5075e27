// Main-thread API for the model worker: call(method, args, onProgress) returns a typed promise;
// errors come back as RemoteError with the worker's name, message and code.
import { PROTOCOL_VERSION, RemoteError, type ModelMethods, type ModelResponse } from './protocol';

type Progress = (done: number, total: number, label: string) => void;

export class ModelClient {
  private worker: Worker;
  private next = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; progress?: Progress }>();

  constructor() {
    this.worker = new Worker(new URL('./model.worker.ts', import.meta.url), { type: 'module', name: 'model' });
    this.worker.onmessage = (ev: MessageEvent<ModelResponse>) => {
      const msg = ev.data;
      const p = this.pending.get(msg.id);
      if (!p) return;
      if (msg.type === 'progress') p.progress?.(msg.done, msg.total, msg.label);
      else {
        this.pending.delete(msg.id);
        if (msg.type === 'result') p.resolve(msg.result);
        else p.reject(new RemoteError(msg.error));
      }
    };
    this.worker.onerror = (ev) => {
      ev.preventDefault();
      const err = new Error(`The model worker crashed: ${ev.message || 'unknown error'}`);
      this.pending.forEach((p) => p.reject(err));
      this.pending.clear();
    };
  }

  call<M extends keyof ModelMethods>(method: M, args: Parameters<ModelMethods[M]>[0], progress?: Progress): Promise<ReturnType<ModelMethods[M]>> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, progress });
      const transfer = method === 'importFile' ? [(args as { bytes: ArrayBuffer }).bytes] : [];
      this.worker.postMessage({ v: PROTOCOL_VERSION, id, method, args }, transfer);
    });
  }

  dispose() {
    this.worker.terminate();
  }
}
