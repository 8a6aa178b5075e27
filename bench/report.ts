// Regenerates BENCHMARKS.md from bench/results/*.json (npm run bench:report; every bench:* run
// calls it): the machine, then one table per benchmark, every number from a recorded run.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MachineInfo } from './lib/machine';
import { readResult, RESULTS_DIR, type ResultFile } from './lib/results';
import type { SearchRow } from './search';
import type { MemoryRow } from './memory';
import type { PreprocessRow } from './preprocess';
import type { ProfileRow } from './profile';
import type { QualityRow } from './quality';
import type { TrainRow } from './train';

const OUT = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const n0 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const n1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));
const n3 = (x: number | undefined | null) => (x === undefined || x === null || !Number.isFinite(x) ? '–' : x.toFixed(3));
const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '' : ` ±${Math.round(100 * x)}%`);

function machineLine(m: MachineInfo): string {
  const page = m.page as undefined | { webgpuAdapter?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean | null } | null; webglRenderer?: string | null; crossOriginIsolated?: boolean };
  const gpu = page?.webgpuAdapter ? [page.webgpuAdapter.vendor, page.webgpuAdapter.architecture, page.webgpuAdapter.description].filter(Boolean).join(' ') || 'adapter without info' : 'none';
  return [
    `${m.cores} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}, TF.js ${m.tfjs}`,
    m.chromium && page ? `; headless Chromium ${m.chromium} (WebGPU adapter: ${gpu}${page.webgpuAdapter?.isFallbackAdapter ? ', fallback' : ''}; WebGL: ${page.webglRenderer ?? 'none'}; crossOriginIsolated ${page.crossOriginIsolated})` : '',
    m.chromium && !page ? `; headless Chromium ${m.chromium}` : '',
    m.torch ? `; PyTorch ${m.torch}` : m.torch === null ? '; no PyTorch' : '',
    `; load average at start ${m.loadAverage.join(' / ')}`,
  ].join('');
}

function header<T>(f: ResultFile<T>, cmd: string): string[] {
  return [`Run ${f.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${f.seconds} s (\`${cmd}\`, results in \`bench/results/${f.benchmark}.json\`).`, '', `Machine: ${machineLine(f.machine)}.`, ''];
}

function trainSection(f: ResultFile<TrainRow>): string[] {
  const torch = f.rows.filter((r) => r.runtime === 'pytorch' && r.threads === 1 && r.status === 'ok' && r.step);
  const ref = torch.length ? Math.min(...torch.map((r) => r.step!.median)) : undefined;
  const lines = [
    '## Training throughput', '', ...header(f, 'npm run bench:train'),
    `Ratios are to PyTorch on 1 CPU thread (the faster of its two runs in this benchmark: ${ref ? `${n0(ref)} ms/step` : 'not measured'}); higher is slower.`, '',
    '| run | preset | backend | convs | ms/step (median ± half-range) | steps timed | pairs/s | × PyTorch 1 thread | warm-up ms | first step ms | numTensors first → last | load (1 min) at start · end time UTC | note |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of f.rows) {
    const ms = r.step && r.step.n ? `${n0(r.step.median)}${pct(r.step.spread)}` : r.status === 'ok' && r.firstStepMs ? `(first step only) ${n0(r.firstStepMs)}` : r.status;
    const ratio = ref && r.preset === 'bench' && r.step?.n ? `${(r.step.median / ref).toFixed(1)}×` : '';
    const tensors = r.numTensors?.length ? `${r.numTensors[0]} → ${r.numTensors.at(-1)}` : '';
    lines.push(`| ${r.id} | ${r.preset} | ${r.runtime} ${r.backend}${r.threads && r.threads > 1 ? ` ×${r.threads}` : ''} | ${r.convImpl ?? ''}${r.convImpl && !r.appChoice ? ' (not the app\'s)' : ''} | ${ms} | ${r.step?.n ?? ''} | ${n1(r.pairsPerSec)} | ${ratio} | ${n0(r.warmupMs)} | ${n0(r.firstStepMs)} | ${tensors} | ${r.loadAverage[0]}${r.runAt ? ` at ${r.runAt.slice(11, 16)}` : ''} | ${r.note.replace(/^; /, '').replace(/\|/g, '/')} |`);
  }
  return [...lines, '', ...f.notes.map((n) => `- ${n}`), ''];
}

function searchSection(f: ResultFile<SearchRow>): string[] {
  const lines = ['## Search and index build', '', ...header(f, 'npm run bench:search'), '| measurement | backend | result | detail |', '|---|---|---|---|'];
  for (const r of f.rows) lines.push(`| ${r.what} | ${r.backend} | ${r.status === 'ok' ? r.result : r.status} | ${r.detail.replace(/\|/g, '/')} |`);
  return [...lines, '', ...f.notes.map((n) => `- ${n}`), ''];
}

function memorySection(f: ResultFile<MemoryRow>): string[] {
  const lines = ['## Memory (tensor leak check)', '', ...header(f, 'npm run bench:memory'),
    '| runtime | backend | preset | steps | numTensors after step 1 → last (max) | MiB after step 1 → last | flat? |', '|---|---|---|---|---|---|---|'];
  for (const r of f.rows) {
    const t = r.numTensors;
    const mb = r.numBytes;
    lines.push(`| ${r.runtime} | ${r.backend} | ${r.preset} | ${t.length} | ${t[0]} → ${t.at(-1)} (${Math.max(...t)}) | ${n1(mb[0] / 2 ** 20)} → ${n1(mb.at(-1)! / 2 ** 20)} | ${r.flat ? 'yes' : '**no**'} |`);
  }
  return [...lines, '', ...f.notes.map((n) => `- ${n}`), ''];
}

function qualitySection(f: ResultFile<QualityRow>): string[] {
  const lines = ['## Quality (headless trainer, fixed budget)', '', ...header(f, 'npm run bench:quality'),
    '| text encoder | preset | backend | steps | train s | val images | i2t R@1 / R@5 / R@10 | t2i R@1 / R@5 / R@10 | AUC | val loss |', '|---|---|---|---|---|---|---|---|---|---|'];
  for (const r of f.rows) {
    const e = r.eval;
    lines.push(`| ${r.textEncoder} | ${r.preset} | ${r.backend} | ${r.steps} | ${n0(r.trainSeconds)} | ${e?.images ?? '–'} | ${e ? `${n3(e.i2t.r1)} / ${n3(e.i2t.r5)} / ${n3(e.i2t.r10)}` : '–'} | ${e ? `${n3(e.t2i.r1)} / ${n3(e.t2i.r5)} / ${n3(e.t2i.r10)}` : '–'} | ${n3(e?.auc)} | ${n3(e?.valLoss)} |`);
  }
  return [...lines, '', ...f.notes.map((n) => `- ${n}`), ''];
}

function profileSection(f: ResultFile<ProfileRow>): string[] {
  const lines = ['## Where a wasm step goes (kernel profile)', '', ...header(f, 'npm run bench:profile')];
  for (const r of f.rows) {
    const sum = r.kernels.reduce((a, k) => a + k.ms, 0);
    lines.push(`**${r.preset} preset, Node ${r.detail}** (${r.matMulGrad} matMul gradient): one step ${n0(r.totalMs)} ms under the profiler.`, '',
      '| kernel | ms | calls |', '|---|---|---|', ...r.kernels.map((k) => `| ${k.name} | ${n0(k.ms)} | ${k.calls} |`), `| (top 10 together) | ${n0(sum)} | |`, '');
  }
  return [...lines, ...f.notes.map((n) => `- ${n}`), ''];
}

function preprocessSection(f: ResultFile<PreprocessRow>): string[] {
  const lines = ['## Node vs browser image preprocessing', '', ...header(f, 'npm run bench:preprocess'),
    '| dataset | images | side | mean abs. difference (levels) | max | within 2 levels | within 8 |', '|---|---|---|---|---|---|---|'];
  for (const r of f.rows) lines.push(`| ${r.dataset} | ${r.images} | ${r.side} | ${r.meanAbs.toFixed(2)} | ${r.maxAbs} | ${(100 * r.within2).toFixed(1)}% | ${(100 * r.within8).toFixed(1)}% |`);
  return [...lines, '', ...f.notes.map((n) => `- ${n}`), ''];
}

/** The headline: bench-preset ratios to PyTorch, from the training table. */
function summary(f: ResultFile<TrainRow>): string[] {
  const torch = f.rows.filter((r) => r.runtime === 'pytorch' && r.threads === 1 && r.status === 'ok' && r.step);
  if (!torch.length) return [];
  const ref = Math.min(...torch.map((r) => r.step!.median));
  const bench = f.rows.filter((r) => r.preset === 'bench' && r.runtime !== 'pytorch' && r.status === 'ok' && r.step?.n).sort((a, b) => a.step!.median - b.step!.median);
  return [
    '## Summary', '',
    `\`bench\` preset (batch 64), ms per training step in the ${f.startedAt.slice(0, 10)} run, as a multiple of PyTorch ${f.machine.torch ?? ''} on 1 CPU thread (${n0(ref)} ms/step):`, '',
    ...bench.map((r) => `- ${r.id}: ${n0(r.step!.median)} ms = **${(r.step!.median / ref).toFixed(1)}×**${r.runtime === 'chromium' && r.appChoice && !/stock matMul grad|no-CSP/.test(r.id) ? ' (what the app runs)' : ''}`
      + ` — load ${r.loadAverage[0]}${r.runAt ? ` at ${r.runAt.slice(11, 16)}` : ''}`),
    '',
    ...(new Set(f.rows.map((r) => r.runAt?.slice(0, 15))).size > 1
      ? ['Rows ran at different times (and loads) of one session: rows at the same time compare best; rows run under a higher load look slower than they are.', '']
      : []),
  ];
}

/** What keeps wasm from PyTorch's speed, with the numbers of the recorded runs. */
function obstacles(train: ResultFile<TrainRow> | null, profile: ResultFile<ProfileRow> | null): string[] {
  const row = (id: string) => train?.rows.find((r) => r.id === id && r.status === 'ok' && r.step?.n);
  const stock = row('chromium wasm bench, stock matMul grad');
  const explicit = row('chromium wasm bench');
  const threaded = row('chromium wasm bench 2 threads (no-CSP build)');
  const p = profile?.rows.find((r) => r.matMulGrad === 'explicit-transpose');
  const ps = profile?.rows.find((r) => r.matMulGrad === 'stock');
  const ms = (r: ProfileRow | undefined, names: string[]) => r?.kernels.filter((k) => names.includes(k.name)).reduce((a, k) => a + k.ms, 0) ?? NaN;
  const lines = ['## What stands in the way of the CPU path', ''];
  if (ps && p) {
    lines.push(`1. **Transposed matMuls on wasm.** tfjs-backend-wasm multiplies through XNNPACK only when neither operand is transposed; with transposeA/B it runs a naive loop. The stock gradient of every matMul is two transposed matMuls: BatchMatMul takes ${n0(ms(ps, ['BatchMatMul']))} of ${n0(ps.totalMs)} ms of a Node wasm step. Transposing explicitly first (\`src/train/matMulGrad.ts\`, same values, tested against tfjs-core's gradient) brings it to ${n0(ms(p, ['BatchMatMul']))} ms and the step to ${n0(p.totalMs)} ms.${stock && explicit ? ` In Chromium: ${n0(stock.step!.median)} → ${n0(explicit.step!.median)} ms/step. The page's \`selectBackend\` installs it whenever it picks wasm (since commit 17a5614).` : ''}`);
    lines.push(`2. **im2col data movement.** With the matMuls fixed, Slice + Concat + SplitV + PadV2 (building the patch matrices and their gradients) take ${n0(ms(p, ['Slice', 'Concat', 'SplitV', 'PadV2']))} ms of the ${n0(p.totalMs)} ms step; PyTorch's conv does this inside its kernel. A cheaper patch layout in src/model/layers.ts (fewer, larger slices) is the next lever.`);
  }
  lines.push(`3. **One thread.** The app runs the SIMD build on one thread. The threaded build cannot start under the app's Content-Security-Policy (its pthread workers \`importScripts\` a blob: URL, which \`script-src 'self' 'wasm-unsafe-eval'\` refuses; seen as "Failed to execute 'importScripts' … blob: … failed to load" and a hung \`setBackend\`). Without the CSP it starts${threaded ? `, but tfjs reports ${/(\d+) thread/.exec(threaded.note)?.[1] ?? '?'} thread and the step is ${n0(threaded.step!.median)} ms (vs ${explicit ? n0(explicit.step!.median) : '–'} single-threaded)` : ''}: no gain on this 2-core machine either way.`);
  lines.push('4. **Per-op overhead.** A step is a few hundred small kernels (Identity, Reshape, Add, Multiply each called ~100-240 times, see the profile); PyTorch fuses more and runs its optimizer in place.', '');
  return lines;
}

/** Benchmarks that write their own result files: ingestion (JSON) and word order (Markdown). */
function extraSections(): string[] {
  const out: string[] = [];
  const ingest = join(RESULTS_DIR, 'ingest.json');
  if (existsSync(ingest)) {
    type Stat = { median: number; min: number; max: number };
    const r = JSON.parse(readFileSync(ingest, 'utf8')) as { startedAt: string; machine: { cores: number; chromium?: string; loadAverage: number[] }; pillow?: string; rows: { dataset: string; app: { imagesPerSecond: Stat }; pillow?: { processes: number; imagesPerSecond: Stat }[] }[] };
    out.push('## Ingestion (`npx tsx bench/ingest.ts`)', '',
      `Run ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC on ${r.machine.cores} cores, ${r.machine.chromium ?? 'Chromium'}, load average at start ${r.machine.loadAverage.join(' / ')} (results in \`bench/results/ingest.json\`).`, '',
      `| dataset | page: decode + resize + store, images/s (median, range) | Pillow ${r.pillow ?? ''} decode + crop + resize, 1 process | 2 processes |`, '|---|---|---|---|');
    for (const row of r.rows) {
      const a = row.app.imagesPerSecond;
      const p = (n: number) => row.pillow?.find((x) => x.processes === n)?.imagesPerSecond.median.toFixed(0) ?? '–';
      out.push(`| ${row.dataset} | ${a.median.toFixed(0)} (${a.min.toFixed(0)}–${a.max.toFixed(0)}) | ${p(1)} | ${p(2)} |`);
    }
    out.push('', '- The page also encodes a JPEG thumbnail and stores original, 128 px copy and thumbnail in IndexedDB; Pillow only decodes and resizes.', '');
  }
  const wordOrder = join(RESULTS_DIR, 'word-order.md');
  if (existsSync(wordOrder)) out.push(readFileSync(wordOrder, 'utf8').replace(/^# /, '## '), '');
  return out;
}

export function writeReport(): string {
  const train = readResult<TrainRow>('train');
  const search = readResult<SearchRow>('search');
  const memory = readResult<MemoryRow>('memory');
  const quality = readResult<QualityRow>('quality');
  const profile = readResult<ProfileRow>('profile');
  const preprocess = readResult<PreprocessRow>('preprocess');
  const lines = [
    '# Benchmarks',
    '',
    'Generated by `npm run bench` (or one of `bench:train`, `bench:search`, `bench:memory`, `bench:profile`, `bench:quality`, `bench:preprocess`; `bench:report` only',
    'rewrites this file) from `bench/results/*.json`. Every number below comes from the run named above its table, on the',
    'machine named there. The machine may be shared with other work: compare rows of one table as ratios, not across runs.',
    '',
    ...(train ? summary(train) : []),
    ...(train ? trainSection(train) : ['## Training throughput', '', 'Not run yet: `npm run bench:train`.', '']),
    ...(profile ? profileSection(profile) : []),
    ...obstacles(train, profile),
    ...(search ? searchSection(search) : ['## Search and index build', '', 'Not run yet: `npm run bench:search`.', '']),
    ...(memory ? memorySection(memory) : ['## Memory', '', 'Not run yet: `npm run bench:memory`.', '']),
    ...(quality ? qualitySection(quality) : ['## Quality', '', 'Not run yet: `npm run bench:quality` (trains on ../shared/datasets/flickr8k-224).', '']),
    ...(preprocess ? preprocessSection(preprocess) : []),
    ...extraSections(),
  ];
  writeFileSync(OUT, lines.join('\n'));
  return OUT;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`wrote ${writeReport()}`);
