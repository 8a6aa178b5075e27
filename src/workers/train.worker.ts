// Train worker: a thin table of handlers over TrainJob (workers/trainJob.ts). start() resolves when
// the run ends; its events reach the page through the proxied callback; pause, resume and stop
// act on the running job.
import { selectBackend } from '../use/backend';
import { serve } from './rpc';
import { TrainJob, type Emit, type TrainRequest } from './trainJob';

const job = new TrainJob(selectBackend);

export const trainApi = {
  start: (req: TrainRequest, onEvent: Emit) => job.run(req, onEvent),
  pause: () => job.pause(),
  resume: () => job.resume(),
  stop: () => job.stop(),
};

serve(trainApi);
