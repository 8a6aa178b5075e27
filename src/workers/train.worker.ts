// Train worker: a thin table of handlers over TrainJob (workers/trainJob.ts) and FeatureJob
// (workers/featureJob.ts, the backbone feature pass). start() and features() resolve when the job
// ends; events reach the page through the proxied callback; pause, resume, stop and
// cancelFeatures act on the running job.
import { selectBackend } from '../use/backend';
import { FeatureJob, type FeatureEvent, type FeatureRequest } from './featureJob';
import { serve } from './rpc';
import { TrainJob, type Emit, type TrainRequest } from './trainJob';

const job = new TrainJob(selectBackend);
const featureJob = new FeatureJob(selectBackend);

export const trainApi = {
  start: (req: TrainRequest, onEvent: Emit) => job.run(req, onEvent),
  pause: () => job.pause(),
  resume: () => job.resume(),
  stop: () => job.stop(),
  features: (req: FeatureRequest, onEvent: (e: FeatureEvent) => unknown) => featureJob.run(req, onEvent),
  cancelFeatures: () => featureJob.cancel(),
};

serve(trainApi);
