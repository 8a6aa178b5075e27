// npm run bench: every benchmark in turn (ratio, train, search, memory, profile, quality, preprocess), then BENCHMARKS.md.
// Ingestion (bench:ingest) and the GPU bundle (bench:gpu) run on their own.
// Flags pass through: --with-cpu (train: the cpu backend on `bench`), --skip=quality,search,...

import { benchMemory } from './memory';
import { benchPreprocess } from './preprocess';
import { benchProfile } from './profile';
import { benchQuality } from './quality';
import { benchRatio } from './ratio';
import { writeReport } from './report';
import { benchSearchAll } from './search';
import { benchTrain } from './train';

const argv = process.argv.slice(2);
const skip = new Set((argv.find((a) => a.startsWith('--skip='))?.slice(7) ?? '').split(',').filter(Boolean));
const t0 = performance.now();
if (!skip.has('ratio')) await benchRatio(argv);
if (!skip.has('train')) await benchTrain(argv.filter((a) => !a.startsWith('--only=')));
if (!skip.has('search')) await benchSearchAll();
if (!skip.has('memory')) await benchMemory();
if (!skip.has('profile')) await benchProfile();
if (!skip.has('quality')) await benchQuality(argv);
if (!skip.has('preprocess')) await benchPreprocess();
console.log(`wrote ${writeReport()} after ${Math.round((performance.now() - t0) / 1000)} s`);
