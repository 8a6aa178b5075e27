// Model worker: a thin table of handlers over ModelService (use/modelService.ts), which holds one
// trained model and its search index in memory. Progress comes back through proxied callbacks;
// the exported file's bytes are transferred, not copied.
import { ModelService, type Progress, type SearchScope } from '../use/modelService';
import { selectBackend } from '../use/backend';
import { serve, transfer } from './rpc';

const service = new ModelService(selectBackend);

export const modelApi = {
  load: (a: Parameters<ModelService['load']>[0]) => service.load(a),
  importFile: (a: Parameters<ModelService['importFile']>[0]) => service.importFile(a),
  storeBackbone: (a: Parameters<ModelService['storeBackbone']>[0]) => service.storeBackbone(a),
  score: (a: Parameters<ModelService['score']>[0]) => service.score(a),
  buildIndex: (a: SearchScope, progress?: Progress) => service.buildIndex(a, progress),
  searchText: (a: Parameters<ModelService['searchText']>[0]) => service.searchText(a),
  searchImage: (a: Parameters<ModelService['searchImage']>[0]) => service.searchImage(a),
  similarImages: (a: Parameters<ModelService['similarImages']>[0]) => service.similarImages(a),
  zeroShot: (a: Parameters<ModelService['zeroShot']>[0]) => service.zeroShot(a),
  async exportFile(a: Parameters<ModelService['exportFile']>[0]) {
    const out = await service.exportFile(a);
    return transfer(out, [out.bytes.buffer]);
  },
};

serve(modelApi);
