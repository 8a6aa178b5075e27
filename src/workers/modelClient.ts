// Main-thread API for the model worker through the RPC layer: one typed async method per handler.
// The caller decides what is transferred (an imported file's bytes); errors arrive as RemoteError
// with the worker's name, message and code.
import type { Progress, SearchScope } from '../use/modelService';
import type { modelApi } from './model.worker';
import { connect, proxy, transfer, type Connection } from './rpc';

type Api = typeof modelApi;
type Arg<M extends keyof Api> = Parameters<Api[M]>[0];

export class ModelClient {
  private readonly conn: Connection<Api> = connect<Api>(
    new Worker(new URL('./model.worker.ts', import.meta.url), { type: 'module', name: 'model' }),
    'model',
  );

  load(a: Arg<'load'>) {
    return this.conn.run((api) => api.load(a));
  }

  importFile(a: Arg<'importFile'>) {
    return this.conn.run((api) => api.importFile(transfer(a, [a.bytes])));
  }

  storeBackbone(a: Arg<'storeBackbone'>) {
    return this.conn.run((api) => api.storeBackbone(transfer(a, [...new Set(a.files.map((f) => f.bytes.buffer as ArrayBuffer))])));
  }

  score(a: Arg<'score'>) {
    return this.conn.run((api) => api.score(a));
  }

  buildIndex(a: SearchScope, progress?: Progress) {
    return this.conn.run((api) => api.buildIndex(a, progress ? proxy(progress) : undefined));
  }

  searchText(a: Arg<'searchText'>) {
    return this.conn.run((api) => api.searchText(a));
  }

  searchImage(a: Arg<'searchImage'>) {
    return this.conn.run((api) => api.searchImage(a));
  }

  similarImages(a: Arg<'similarImages'>) {
    return this.conn.run((api) => api.similarImages(a));
  }

  zeroShot(a: Arg<'zeroShot'>) {
    return this.conn.run((api) => api.zeroShot(a));
  }

  exportFile(a: Arg<'exportFile'>) {
    return this.conn.run((api) => api.exportFile(a));
  }

  dispose() {
    this.conn.close('the model was closed');
  }
}
