// Regenerates BENCHMARKS.md from bench/results/*.json (npm run bench:report; every bench:* run
// calls it): the machine, then one table per benchmark, every number from a recorded run.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Round } from './lib/interleave';
import type { MachineInfo } from './lib/machine';
import { readResult, RESULTS_DIR, type ResultFile } from './lib/results';
import type { SearchRow } from './search';
import type { MemoryRow } from './memory';
import type { PreprocessRow } from './preprocess';
import type { ProfileRow } from './profile';
import { backboneSection, qualitySection } from './lib/qualityReport';
import type { QualityRow } from './quality';
import type { RatioFile } from './ratio';
import type { RatioPretrainedFile } from './ratio-pretrained';
import { ratioPretrainedSection } from './lib/ratioPretrainedReport';
import type { TrainRow } from './train';

const OUT = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const n0 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const n1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));
const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '' : ` ±${Math.round(100 * x)}%`);

function machineLine(m: MachineInfo): string {
  const page = m.page as
    | undefined
    | {
        webgpuAdapter?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean | null } | null;
        webglRenderer?: string | null;
        crossOriginIsolated?: boolean;
      };
  const gpu = page?.webgpuAdapter
    ? [page.webgpuAdapter.vendor, page.webgpuAdapter.architecture, page.webgpuAdapter.description].filter(Boolean).join(' ') ||
      'adapter without info'
    : 'none';
  return [
    `${m.cores} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}, TF.js ${m.tfjs}`,
    m.chromium && page
      ? `; headless Chromium ${m.chromium} (WebGPU adapter: ${gpu}${page.webgpuAdapter?.isFallbackAdapter ? ', fallback' : ''}; WebGL: ${page.webglRenderer ?? 'none'}; crossOriginIsolated ${page.crossOriginIsolated})`
      : '',
    m.chromium && !page ? `; headless Chromium ${m.chromium}` : '',
    m.torch ? `; PyTorch ${m.torch}` : m.torch === null ? '; no PyTorch' : '',
    `; load average at start ${m.loadAverage.join(' / ')}`,
  ].join('');
}

function header<T>(f: ResultFile<T>, cmd: string): string[] {
  return [
    `Run ${f.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${f.seconds} s (\`${cmd}\`, results in \`bench/results/${f.benchmark}.json\`).`,
    '',
    `Machine: ${machineLine(f.machine)}.`,
    '',
  ];
}

function trainSection(f: ResultFile<TrainRow>): string[] {
  const lines = [
    "## Training throughput (this machine's absolute times)",
    '',
    ...header(f, 'npm run bench:train'),
    'Each row ran once, at its own moment and load: compare rows here only roughly. Ratios to PyTorch are in the same-run section above, never taken from this table.',
    '',
    ...(f.rows.some((r) => r.backend === 'wasm' && r.convImpl === 'im2col' && r.appChoice)
      ? [
          "This run predates `src/kernels/wasmConv.ts`: its wasm rows used im2col convs, the app's choice then (wasm now runs `tf.conv2d` with those kernels; see the same-run section).",
          '',
        ]
      : []),
    '| run | preset | backend | convs | ms/step (median ± half-range) | steps timed | pairs/s | warm-up ms | first step ms | numTensors first → last | load (1 min) at start · end time UTC | note |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of f.rows) {
    const ms =
      r.step && r.step.n
        ? `${n0(r.step.median)}${pct(r.step.spread)}`
        : r.status === 'ok' && r.firstStepMs
          ? `(first step only) ${n0(r.firstStepMs)}`
          : r.status;
    const tensors = r.numTensors?.length ? `${r.numTensors[0]} → ${r.numTensors.at(-1)}` : '';
    lines.push(
      `| ${r.id} | ${r.preset} | ${r.runtime} ${r.backend}${r.threads && r.threads > 1 ? ` ×${r.threads}` : ''} | ${r.convImpl ?? ''}${r.convImpl && !r.appChoice ? " (not the app's)" : ''} | ${ms} | ${r.step?.n ?? ''} | ${n1(r.pairsPerSec)} | ${n0(r.warmupMs)} | ${n0(r.firstStepMs)} | ${tensors} | ${r.loadAverage[0]}${r.runAt ? ` at ${r.runAt.slice(11, 16)}` : ''} | ${r.note.replace(/^; /, '').replace(/\|/g, '/')} |`,
    );
  }
  return [...lines, '', ...f.notes.map((n) => `- ${n}`), ''];
}

function searchSection(f: ResultFile<SearchRow>): string[] {
  const lines = [
    '## Search and index build',
    '',
    ...header(f, 'npm run bench:search'),
    '| measurement | backend | result | detail |',
    '|---|---|---|---|',
  ];
  for (const r of f.rows)
    lines.push(`| ${r.what} | ${r.backend} | ${r.status === 'ok' ? r.result : r.status} | ${r.detail.replace(/\|/g, '/')} |`);
  return [...lines, '', ...f.notes.map((n) => `- ${n}`), ''];
}

function memorySection(f: ResultFile<MemoryRow>): string[] {
  const lines = [
    '## Memory (tensor leak check)',
    '',
    ...header(f, 'npm run bench:memory'),
    '| runtime | backend | preset | steps | numTensors after step 1 → last (max) | MiB after step 1 → last | flat? |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of f.rows) {
    const t = r.numTensors;
    const mb = r.numBytes;
    lines.push(
      `| ${r.runtime} | ${r.backend} | ${r.preset} | ${t.length} | ${t[0]} → ${t.at(-1)} (${Math.max(...t)}) | ${n1(mb[0] / 2 ** 20)} → ${n1(mb.at(-1)! / 2 ** 20)} | ${r.flat ? 'yes' : '**no**'} |`,
    );
  }
  return [...lines, '', ...f.notes.map((n) => `- ${n}`), ''];
}

function profileSection(f: ResultFile<ProfileRow>): string[] {
  const lines = ['## Where a wasm step goes (kernel profile)', '', ...header(f, 'npm run bench:profile')];
  for (const r of f.rows) {
    const sum = r.kernels.reduce((a, k) => a + k.ms, 0);
    lines.push(
      `**${r.preset} preset, Node ${r.detail}** (${r.matMulGrad} matMul gradient): one step ${n0(r.totalMs)} ms under the profiler.`,
      '',
      '| kernel | ms | calls |',
      '|---|---|---|',
      ...r.kernels.map((k) => `| ${k.name} | ${n0(k.ms)} | ${k.calls} |`),
      `| (top 10 together) | ${n0(sum)} | |`,
      '',
    );
  }
  return [...lines, ...f.notes.map((n) => `- ${n}`), ''];
}

function preprocessSection(f: ResultFile<PreprocessRow>): string[] {
  const lines = [
    '## Node vs browser image preprocessing',
    '',
    ...header(f, 'npm run bench:preprocess'),
    '| dataset | images | side | mean abs. difference (levels) | max | within 2 levels | within 8 |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of f.rows)
    lines.push(
      `| ${r.dataset} | ${r.images} | ${r.side} | ${r.meanAbs.toFixed(2)} | ${r.maxAbs} | ${(100 * r.within2).toFixed(1)}% | ${(100 * r.within8).toFixed(1)}% |`,
    );
  return [...lines, '', ...f.notes.map((n) => `- ${n}`), ''];
}

/** The headline: same-run, interleaved ratios to PyTorch (bench/ratio.ts). */
function summary(f: RatioFile): string[] {
  const ref = f.rows
    .map((r) => r.samples['pytorch cpu bench 1 thread'])
    .filter((x): x is { ms: number } => !!x && 'ms' in x)
    .map((x) => x.ms);
  const lines = [
    '## Same-run ratios to PyTorch (the only ratios quoted)',
    '',
    `Run ${f.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${f.seconds} s (\`npm run bench:ratio\`, results in \`bench/results/ratio.json\`). Machine: ${machineLine(f.machine)}.`,
    '',
    `\`bench\` preset (batch 64), ${f.rows.length} interleaved rounds: in each round every side ran once, PyTorch ${f.machine.torch ?? ''} on 1 CPU thread first. A ratio is the median of the per-round ratios (lab ms/step ÷ PyTorch ms/step of the same round); higher is slower.`,
    '',
    '| side | × PyTorch 1 thread (median of rounds) | range | per round | ms/step in each round (this machine) |',
    '|---|---|---|---|---|',
  ];
  for (const r of f.ratios) {
    const ms = f.rows
      .map((row) => row.samples[r.side])
      .map((x) => (x && 'ms' in x ? n0(x[r.measure]) : 'failed'))
      .join(' · ');
    lines.push(
      `| ${r.side}${r.measure === 'cpuMs' ? ', CPU time' : ''} | **${r.median.toFixed(2)}×** | ${r.min.toFixed(2)}–${r.max.toFixed(2)}× | ${r.perRound.map((x) => x.toFixed(2)).join(', ')} | ${ms} |`,
    );
  }
  const refCpu = f.rows.map((r) => r.samples['pytorch cpu bench 1 thread']).map((x) => (x && 'cpuMs' in x ? n0(x.cpuMs) : '–'));
  // How much of a core each process got: CPU time / wall time, summed over the rounds.
  const share = (id: string) => {
    const xs = f.rows
      .map((r) => r.samples[id])
      .filter((x): x is { ms: number; cpuMs: number } => !!x && 'cpuMs' in x && Number.isFinite(x.cpuMs));
    return xs.length ? xs.reduce((a, x) => a + x.cpuMs, 0) / xs.reduce((a, x) => a + x.ms, 0) : NaN;
  };
  const torchShare = share('pytorch cpu bench 1 thread');
  const nodeShare = share('node wasm bench (headless trainer)');
  lines.push(
    `| pytorch cpu bench 1 thread (reference) | 1× | | | ${ref.map(n0).join(' · ')} (CPU time ${refCpu.join(' · ')}) |`,
    '',
    `Load average (1 min) at the start of each round: ${f.rows.map((r) => r.loadAverage[0]).join(', ')}.`,
    ...(Number.isFinite(torchShare) && Number.isFinite(nodeShare)
      ? [
          '',
          `Under this load PyTorch's process got ${Math.round(100 * torchShare)}% of a core (CPU time ÷ wall time) and Node's ${Math.round(100 * nodeShare)}%: the share each side gets moves its wall-clock ratio (here by ${(nodeShare / torchShare).toFixed(2)}×), which is why the CPU-time rows, less disturbed by other load, are the figures to compare.`,
        ]
      : []),
    '',
    ...f.notes.map((n) => `- ${n}`),
    '',
  );
  return lines;
}

/** What keeps wasm from PyTorch's speed, with the numbers of the recorded runs. */
function obstacles(profile: ResultFile<ProfileRow> | null): string[] {
  const p = profile?.rows.find((r) => r.matMulGrad === 'explicit-transpose');
  const ms = (r: ProfileRow | undefined, names: string[]) =>
    r?.kernels.filter((k) => names.includes(k.name)).reduce((a, k) => a + k.ms, 0) ?? NaN;
  const lines = ['## What stands in the way of the CPU path', ''];
  lines.push(
    "1. **Transposed matMuls on wasm** (fixed). tfjs-backend-wasm multiplies through XNNPACK only when neither operand is transposed; the stock gradient of every matMul is two transposed matMuls, run by a naive loop. `src/train/matMulGrad.ts` transposes explicitly first (tested against tfjs-core's gradient); the page installs it whenever it picks wasm.",
  );
  lines.push(
    "2. **Convolutions** (fixed: `src/kernels/wasmConv.ts`). tfjs-wasm has no `Conv2DBackpropFilter` and a naive `Conv2DBackpropInput` (560-700 ms per bench layer), so the app used to build im2col patches from ~50 slices, pads and concats per step. Now `tf.conv2d` runs XNNPACK's native forward, and both gradients are one pass over the wasm heap (im2col, transposed, for the filter gradient; col2im for the input gradient) around one XNNPACK matMul each. Those passes, the bias-gradient Sum and the row-broadcast Add/Sub/Multiply (conv biases, the image normalisation) run as the lab's own WebAssembly SIMD loops (`src/kernels/convKernels.c`, 9.6 KB, built with clang-14 by `src/kernels/build.sh`), which import tfjs-wasm's memory and work on its tensors in place; JS loops remain the fallback. The bench preset's bow text tower pools with one scatter on wasm instead of a float one-hot. Each kernel is tested against tfjs-core's on seeded inputs (SIMD and JS loops), and 20 training steps equal the cpu backend's to 1e-4.",
  );
  if (p) {
    const conv = ms(p, ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput']);
    lines.push(
      `3. **What remains** (profile above, ${n0(p.totalMs)} ms under the profiler): the three conv kernels take ${n0(conv)} ms (${Math.round((100 * conv) / p.totalMs)}%), nearly all of it XNNPACK's matMuls at wasm's 128-bit SIMD on one thread (about 10 GMAC/s here; a bench step is about 2.8 GMAC of convolutions), where PyTorch's oneDNN uses AVX2/AVX-512. Reductions (Sum: bias gradients and pooling) ${n0(ms(p, ['Sum']))} ms; the hundreds of small element-wise kernels (Identity, Add, Multiply, Sub) ${n0(ms(p, ['Identity', 'Add', 'Multiply', 'Sub']))} ms.`,
    );
  }
  lines.push(
    '   Measured and not kept (2026-11-28, Node wasm, CPU time, same process, 3 rounds): `tf.fused.conv2d` with bias and ReLU fused into the conv, forward and backward of the four bench layers, took 0.76, 0.98 and 1.07× the unfused time: no consistent gain. The input gradient of the stride-2 convs as four stride-1 XNNPACK convs, one per output parity (the sub-pixel form of a transposed conv), instead of dy·Wᵀ + col2im: 154, 223, 190 ms against 166, 171, 142 ms for layers 2-4, no gain.',
  );
  lines.push(
    "4. **One thread.** The app runs the SIMD build on one thread. The threaded build cannot start under the app's Content-Security-Policy (its pthread workers `importScripts` a blob: URL, which `script-src 'self' 'wasm-unsafe-eval'` refuses; seen as \"Failed to execute 'importScripts' … blob: … failed to load\" and a hung `setBackend`). Without the CSP it started but tfjs reported 1 thread and gained nothing on this 2-core machine (BENCHMARKS.md of 2026-11-26).",
    '',
  );
  return lines;
}

interface GpuSide {
  error?: string;
  adapter?: string;
  medianMs?: number | null;
  batch?: number;
  pairsPerSec?: number;
  stepMs?: number[];
  warmupMs?: number;
  firstStepMs?: number;
  numTensors?: number[];
  device?: string;
  torch?: string;
}
interface GpuFile {
  startedAt: string;
  card: string | null;
  loadAverage: number[];
  seconds: number;
  args: { steps: number; torchDevice?: string; torch_device?: string };
  presets: {
    preset: string;
    pairs: { pair: number; lab: GpuSide; torch: GpuSide & { stepMs?: number[] }; ratio?: number; torchPairsPerSec?: number }[];
    ratio: { median: number; min: number; max: number; n: number } | null;
  }[];
}

/** The GPU bundle's run (bench:gpu; bench/results/gpu.json is run.py's gpu-results.json). */
function gpuSection(f: GpuFile): string[] {
  const adapter = f.presets.flatMap((p) => p.pairs.map((x) => x.lab.adapter)).find(Boolean) ?? 'unknown adapter';
  const software = /llvmpipe|swiftshader|lavapipe/i.test(adapter);
  const torchDevice = f.args.torch_device ?? f.args.torchDevice ?? 'cuda';
  const lines = [
    '## WebGPU through Node against PyTorch on the same card (`npm run bench:gpu`)',
    '',
    `Run ${f.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${f.seconds} s, on ${f.card ?? 'no NVIDIA card'}; WebGPU adapter: ${adapter}; PyTorch on ${torchDevice}; load average at start ${f.loadAverage.join(' / ')} (results in \`bench/results/gpu.json\`).`,
    '',
  ];
  if (software)
    lines.push(
      `**No GPU has run this yet.** This run is the bundle's check on Mesa lavapipe (Vulkan on the CPU) against PyTorch on the CPU, with ${f.presets[0]?.pairs.length ?? 0} pair per preset and a short step budget (\`tiny\` is paired with PyTorch's \`bench\` model): it shows that the bundle runs, not how fast a GPU is.`,
      '',
    );
  lines.push(
    '| preset | pair | lab ms/step (WebGPU) | lab warm-up ms | PyTorch ms/step | lab pairs/s ÷ PyTorch pairs/s | numTensors |',
    '|---|---|---|---|---|---|---|',
  );
  for (const p of f.presets) {
    for (const x of p.pairs) {
      const labMs = x.lab.medianMs ?? (x.lab.pairsPerSec && x.lab.batch ? (1000 * x.lab.batch) / x.lab.pairsPerSec : undefined);
      const tMs = x.torch.stepMs?.length ? [...x.torch.stepMs].sort((a, b) => a - b)[x.torch.stepMs.length >> 1] : undefined;
      lines.push(
        `| ${p.preset} | ${x.pair} | ${x.lab.error ? `failed: ${x.lab.error.slice(0, 80)}` : `${n0(labMs)}${x.lab.medianMs ? '' : ' (first step only)'}`} | ${n0(x.lab.warmupMs)} | ${x.torch.error ? 'failed' : n0(tMs)} | ${x.ratio !== undefined ? x.ratio.toFixed(3) : '–'} | ${x.lab.numTensors?.length ? `${x.lab.numTensors[0]} → ${x.lab.numTensors.at(-1)}` : ''} |`,
      );
    }
  }
  lines.push(
    '',
    "- Bundle: Node, the `webgpu` package's dawn.node (xz), Debian's libvulkan.so.1, the app's trainer bundled by esbuild, and bench/pytorch_bench.py: 30.5 MiB; it needs Python 3 with torch and the NVIDIA driver, no Node, npm or network. Build: `npm run bench:gpu`; run on the GPU machine: `python3 clip-lab-gpu/run.py` (writes gpu-results.json; copy it to bench/results/gpu.json and run `npm run bench:report`).",
    '',
  );
  return lines;
}

/** Benchmarks that write their own result files: ingestion (JSON) and word order (Markdown). */
function extraSections(): string[] {
  const out: string[] = [];
  const ingest = join(RESULTS_DIR, 'ingest.json');
  if (existsSync(ingest)) {
    type Stat = { median: number; min: number; max: number };
    const r = JSON.parse(readFileSync(ingest, 'utf8')) as {
      startedAt: string;
      machine: { cores: number; chromium?: string; loadAverage: number[] };
      pillow?: string;
      rows: {
        dataset: string;
        app: {
          imagesPerSecond: Stat;
          cpuMsPerImage?: Stat | null;
          runs: { loadAverage: number; wallSeconds: number; reportSeconds: number; phases?: Record<string, number> }[];
        };
        pillow?: { processes: number; imagesPerSecond: Stat; cpuMsPerImage?: number }[];
        ratioToPillowOne?: Stat | null;
        pillowDraft?: { processes: number; imagesPerSecond: Stat; cpuMsPerImage?: number }[];
        ratioToPillowDraftOne?: Stat | null;
      }[];
    };
    out.push(
      '## Ingestion (`npm run bench:ingest`)',
      '',
      `Run ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC on ${r.machine.cores} cores, ${r.machine.chromium ?? 'Chromium'}, load average at start ${r.machine.loadAverage.join(' / ')} (results in \`bench/results/ingest.json\`). The page's import and the Pillow peers on one process ran interleaved (page, Pillow draft, Pillow full, page, Pillow full, Pillow draft, …). **Pillow draft** does the same work as the page's JPEG path (\`draft('RGB', (128, 128))\`: libjpeg-turbo decodes at the DCT scale the page's wasm decoder picks, then centre crop and resize to 128): it is the issue's "Pillow's one process". **Pillow full** decodes at full size (no \`draft()\`), the row of the runs before 2026-11-28 14:00.`,
      '',
      `| dataset | page: decode + resize + store, images/s (median, range) | Pillow ${r.pillow ?? ''} draft, 1 process | page ÷ Pillow draft (median of pairs, range) | Pillow full, 1 process | page ÷ Pillow full | Pillow draft / full, ${r.machine.cores} processes | CPU ms per image: page (all Chromium processes) / Pillow draft / full | page import s (report) | wall s from folder choice | load at each page run |`,
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    const ratio = (q: Stat | null | undefined) => (q ? `**${q.median.toFixed(2)}×** (${q.min.toFixed(2)}–${q.max.toFixed(2)})` : '–');
    for (const row of r.rows) {
      const a = row.app.imagesPerSecond;
      const find = (peer: typeof row.pillow, n: number) => peer?.find((x) => x.processes === n);
      const ips = (peer: typeof row.pillow, n: number) => find(peer, n)?.imagesPerSecond.median.toFixed(0) ?? '–';
      const pc = (peer: typeof row.pillow) => find(peer, 1)?.cpuMsPerImage?.toFixed(1) ?? '–';
      const cpu = row.app.cpuMsPerImage ? `${row.app.cpuMsPerImage.median.toFixed(1)} / ${pc(row.pillowDraft)} / ${pc(row.pillow)}` : '–';
      const runs = (f: (x: (typeof row.app.runs)[number]) => string) => row.app.runs.map(f).join(', ');
      out.push(
        `| ${row.dataset} | ${a.median.toFixed(0)} (${a.min.toFixed(0)}–${a.max.toFixed(0)}) | ${ips(row.pillowDraft, 1)} | ${ratio(row.ratioToPillowDraftOne)} | ${ips(row.pillow, 1)} | ${row.ratioToPillowOne ? ratio(row.ratioToPillowOne) : '– (older run, not interleaved)'} | ${ips(row.pillowDraft, r.machine.cores)} / ${ips(row.pillow, r.machine.cores)} | ${cpu} | ${runs((x) => x.reportSeconds?.toFixed(2) ?? '–')} | ${runs((x) => x.wallSeconds.toFixed(1))} | ${runs((x) => x.loadAverage.toFixed(1))} |`,
      );
    }
    const phased = r.rows.filter((row) => row.app.runs.some((x) => x.phases));
    if (phased.length) {
      out.push(
        '',
        "Phases of each page import (`performance.mark('ingest:<phase>')` in src/ingest/run.ts), ms after its start, one import per run, in run order:",
        '',
        '| dataset | texts read | planned | workers ready | dataset record | first batch decoded | first stored | last stored | completed |',
        '|---|---|---|---|---|---|---|---|---|',
      );
      const cols = ['texts-read', 'planned', 'pool-ready', 'dataset-ready', 'first-decoded', 'first-stored', 'last-stored', 'completed'];
      for (const row of phased)
        out.push(
          `| ${row.dataset} | ${cols.map((c) => row.app.runs.map((x) => x.phases?.[c]?.toFixed(0) ?? '–').join(', ')).join(' | ')} |`,
        );
    }
    out.push(
      '',
      '- The page also stores the original and the 128 px copy in IndexedDB; Pillow only decodes and resizes. Since 2026-11-28 (issue 11) no thumbnail is encoded: the stored 128 px pixels are shown as the thumbnail (a BMP made on read), originals up to 56 KiB are stored inside their record as bytes (Chromium writes each stored Blob to a file of its own: 1,500 records stored 2.3-2.5× faster without Blobs), each batch is decoded and stored by one decode worker, up to one batch per worker plus one ahead of the batch being stored (batches are still stored in plan order, one transaction each with the metadata that counts them); since 2026-11-28 14:20 the batches ramp up (8, 8, 16, 16, 32, 32, then 48 per worker round, `src/ingest/batches.ts`) with a balanced tail, and the decode workers are started ahead, when the import zone is idle or a folder is dragged over it, and compile the wasm JPEG decoder then (before, they started with the import, and each compiled the decoder on its first image). Up to the ImageDecoder change below the 128 px pixels were the same as before by construction (decode, crop and resample unchanged).',
      "- Measured and not kept (2026-11-28, Chromium 156, 40 originals, ms per image summed over 2 rounds, load 17): `createImageBitmap` with `resizeWidth`/`resizeHeight` does not let Chromium's JPEG decoder scale during decode: full decode 22.6, with resize to 170×128 at quality high 29.2, medium 27.2, low 22.2; and the resized copy differed from the canvas path by 4.7 levels on average (max 88). Re-measured for issue 11 (120 originals, 2 workers, load 10, two rounds): decoding alone 152 and 195 images/s, with resize to 170×128 at quality low 114 and 132. Decoding alone is 5-11 ms of CPU (all Chromium processes) per 500×375 photo, against Pillow's 6-7 ms.",
      "- Where the page's CPU goes (`bench/ingest-threads.ts`: CPU of every Chromium thread from folder choice to report, per stored image; one import of 1,500 flickr8k-224 files each, load 6-8, 2026-11-28): with `createImageBitmap` on the file, 11.1 ms: decode workers 2.7, the browser process's thread pool (IndexedDB writes, file reads) 2.7, the renderer's main thread (messages, structured clones, IndexedDB value serialisation, React) 1.7, the browser's IO thread (Blob reads, IPC) 1.6, the renderer's thread pool 1.0, the rest 1.4. With WebCodecs `ImageDecoder` on the bytes the worker has already read (kept, 2026-11-28), 9.5 ms: workers 2.1, browser thread pool 2.3, main thread 1.8, browser IO thread 1.2, renderer thread pool 1.0. For the 120 originals (over 56 KiB, still `createImageBitmap` on the file; load 11) 18.9 ms: workers 4.0, renderer thread pool 3.8 (the decode itself), main thread 3.3, browser IO thread 2.7, browser thread pool 2.2. Storage and messaging in the browser process and the main thread, not decoding, are now the larger share for small files.",
      "- Run of 2026-11-28 15:30, the first with all three changes of issue 11 item 4 that afternoon (dataset format 3, the ramped batches with the decode workers started ahead, the SIMD wasm decoder), on a quiet machine (load 2.8-3.8): flickr8k-224 475 (465-545) images/s, the 7,000 images in 15.1, 14.8 and 12.9 s of import (16.5-19.9 s from folder choice), 4.3-5.1 CPU ms per image (8.3-8.8 at 13:07); the originals 183 (131-196) images/s, 120 in 0.61-0.92 s of import, 13.9-26.5 CPU ms per image over the whole span. Pillow on one process: draft (the page's work) 859 and 410 images/s, full decode 683 and 168. Same-run ratios: **0.60× (0.54-0.62) and 0.40× (0.32-0.63) Pillow draft**; 0.73× (0.68-0.75) and 0.94× (0.78-1.47) Pillow full decode. Targets: 7,000 images under 30 s met in all three imports; ≥ 300 originals/s and ≥ 1.3× Pillow's one process not met. Why not on this machine: between the first and the last batch stored the originals went at 276, 192 and 290 images/s (406, 583 and 388 ms for the 112 images after the first batch), which on 2 cores is ≤ 7 ms of CPU per original for everything (file read, wasm decode 2.6 ms, IndexedDB); the 150-260 ms before the first store (planning, the first batch's decode, the first transaction) is fixed. 300 images/s for 120 images (0.4 s) would need both the fixed part and the per-image CPU cut by half again, mostly inside Chromium (Blob reads, IPC, IndexedDB), which the page does not control.",
      "- Measured and not kept (2026-11-28 15:05, `bench/ingest-threads.ts`, 600 originals: the 120 copied five times, 3 interleaved pairs, load 2.3-4.1): keeping originals up to 1 MiB (not only up to 56 KiB) in the batch's one originals record, so that a 100-200 KB photo is not stored as a Blob of its own: CPU 12.0 (11.6-13.5) against 10.3 (10.3-11.1) ms per image, import 3.4 against 2.9 s. Posting the bytes through the structured clone into IndexedDB costs more than Chromium storing the chosen File as a Blob.",
      "- Run of 2026-11-28 14:44 (the final code of the pipeline work for issue 11 item 4; load 5.1-6.4 at each page run): flickr8k-224 217 (202-288) images/s, the 7,000 images in 24.3, 32.3 and 34.6 s of import (29.1-39.8 s from folder choice), 6.5-8.2 CPU ms per image; the originals 178 (160-227) images/s, 120 in 0.53-0.75 s of import (1.1 s from folder choice), 15.7-16.8 CPU ms per image; in every import the decode workers had started ahead (ready 9-16 ms after the start) and the first batch was stored 190-408 ms after it. Pillow on one process: draft (the page's work) 823 and 435 images/s at 1.2 and 2.3 ms of CPU per image; full decode 635 and 196. Same-run ratios: **0.26× (0.23-0.40) and 0.41× (0.38-0.49) Pillow draft**; 0.33× (0.32-0.46) and 0.95× (0.81-1.16) Pillow full decode. Targets: 7,000 images under 30 s in one of three imports (24.3 s); ≥ 300 originals/s (178; best import 227) and ≥ 1.3× Pillow's one process (0.41× the draft peer, which does the same work; 0.95× the full-decode one) not met. Pillow too ran faster than in the 14:25 run (435 against 315 originals/s): the load of the machine's other work varied within and between runs.",
      "- Run of 2026-11-28 14:25 (issue 11 item 4: the import's fixed costs; load 5.0-5.9 from other work on the machine), the first with the ramped batches, the decode workers started ahead, and the second Pillow peer: flickr8k-224 186 (184-199) images/s, 7,000 images in 35.1-38.1 s of import (42.6-46.0 s from folder choice), 8.0-8.4 CPU ms per image; the originals 88 (82-135) images/s, 120 in 0.89-1.47 s, 17.8-26.9 CPU ms per image. Pillow on one process: draft (the page's work) 671 and 315 images/s at 1.4 and 3.2 ms of CPU per image; full decode 583 and 137. Same-run ratios: **0.28× and 0.28× Pillow draft**, 0.34× and 0.64× Pillow full decode. Targets not met: ≥ 300 images/s and ≥ 1.3× Pillow on the originals, 7,000 images under 30 s (reached at 29.1 and 29.8 s in the A/B runs below at load 4.8-5.6, not in this run). Pillow draft's 128 px copies are 1.0 (originals) and 1.4 (flickr8k-224) levels from the page's on average (max 41 and 50; its bilinear filter against the page's area average; 118 of the 120 originals decode at 1/2 scale, 2 at full scale, flickr8k-224 at full scale).",
      "- The import's phases (2026-11-28, `performance.mark` in src/ingest/run.ts, read by `bench:ingest`). The first run with them (before the changes that follow; originals, load 6.5-8): texts read 24-52 ms after the start, planned 87-171, workers ready 168-331, **first batch decoded 1,122-1,709**, first stored +100, last stored 1,610-2,007 ms: each worker decoded a whole 48-image batch (and base64-decoded and compiled the 187 KB wasm decoder on its first image: 42-162 ms for the base64 alone in a fresh worker) before the first store; 120 images were 3 batches over 2 workers (48 + 24 on one, 48 on the other). Kept: batches ramp 8, 8, 16, 16, 32, 32, then 48 per worker round, with the tail split evenly over the workers (`src/ingest/batches.ts`); the pool gives a batch to the worker with the fewest images waiting; the workers start, and compile the decoder, ahead of the import (when the import zone is idle, or on dragenter; the import takes them); a new import's first batches decode while its dataset record is created. A/B interleaved on the same builds (120 originals, 3 pairs, load 4.3-6.0): first batch decoded 271-314 ms after the start (713-1,032 before), first stored 392-470 (793-1,132), but 95 (88-101) against 90 (86-128) images/s: under load the import is CPU-bound, so starting earlier hardly ends earlier. flickr8k-224 (2 pairs): 240 and 235 against 162 and 267 images/s (29.1-29.8 s against 26.2-43.2 s), within the noise. `bench:ingest` chooses the folder as soon as the page lists its datasets, which can be before the page is idle: in the 14:25 run's originals imports the workers started with the import (ready 153-311 ms after the start) and the first batch was decoded at 238-473 ms; in the 14:44 run they had started ahead (ready 9-16 ms after the start; first batch decoded at 119-180 ms); with flickr8k-224 the browser lists the folder for ~5 s first and the workers were always ready ahead (12-29 ms).",
      "- What bounds the import now is CPU, not the pipeline. The CPU column counts every Chromium process from folder choice to the report on screen, so it also holds the file list and its sizes before the import's clock starts and the report and gallery drawn after it (a CPU profile of the page's main thread over one originals import: 0.36 s of JS, mostly those, and 0.5-0.7 s of native work). Within the import itself two cores give ≤ 2,000 ms of CPU per second: 227 originals/s (the best import at 14:44) means ≤ 8.8 ms per original across all processes, of which the wasm decoder alone is 4.7 ms (no SIMD) and storing an original over 56 KiB as a Blob about 4 ms in the browser process (the rest: the worker's file read, record serialisation, IPC). 300 originals/s needs ≤ 6.7 ms per original on two otherwise idle cores: the decoder (SIMD) and the stored format are where to look for it, not the batching. For flickr8k-224, 6.5-8.2 ms per file gives at most 245-310 images/s on two idle cores (7,000 in 23-29 s).",
      '- Run of 2026-11-28 13:07, the first with both changes of that day (the wasm JPEG decoder and the decode workers storing), on a quiet machine (load 0.6-3.6): flickr8k-224 231 (229-236) images/s, the 7,000 images in 29.7, 30.3 and 30.6 s of import (34.7-36.2 s from folder choice), 8.3-8.8 CPU ms per image against 9.0-9.3 in the runs below; the originals 101 (91-111) images/s at 21.7-25.4 CPU ms per image. Pillow (full decode) ran at 598 and 134 images/s in one process, so the same-run ratios (0.38× and 0.71×) hardly moved: the images/s gain over the runs below is mostly the lower load. Targets: 7,000 images under 30 s reached in one of three imports; ≥ 300 images/s and ≥ 1.3× Pillow on the originals not met.',
      "- Run of 2026-11-28 12:15 (the decode workers storing what they decode) against 10:05 (load 6-9 both): flickr8k-224 142 (140-167) against 148 (141-152) images/s and 9.0 against 9.3 CPU ms per image, 7,000 images in 42-50 s of import and 51-58 s from folder choice (46-50 and 55-58 before); the originals 66 (64-74) against 79 (76-103) images/s at 21.2 against 24.1 CPU ms per image (120 images in 2 s: these rates swing with a second of load). Within the spread of one run: no throughput change. Pillow ran 354 (280-629) and 75 images/s in this run against 468 and 125 at 10:05, so the ratios (0.40× and 0.88×) moved with Pillow, not with the page: ratios only compare within one run. The targets (≥ 300 images/s and ≥ 1.3× Pillow on the originals, 7,000 images under 30 s) are not met: on 2 cores the page spends 9 ms of CPU per small image against Pillow's 1.5-2, of which the decoding is about 2 (see above).",
      "- The storage and messaging side (issue 11, 2026-11-28 12:00-12:20; `bench/ingest-threads.ts` on 1,500 flickr8k-224 files, variants interleaved, 3 rounds each, load 8-10; wall s / CPU ms per image, medians). Kept: the decode workers store what they decode (`src/ingest/staged.ts`; the page gets counts and corrupt files, never pixels): 9.9 / 8.2 against 9.9 / 8.2 before, no throughput change on 2 cores; the page's main thread went from 1.45-1.53 to 1.00-1.21 ms per image and the workers from 1.7-1.9 to 1.9-2.2 (the IndexedDB value serialisation moved with the writes). Kept because it takes work off the one main thread, which more cores cannot share. Measured and not kept: reading `File.size` only when asked (11.3 / 9.2; Chromium stats each chosen file on the main thread, and a File posted to a worker is statted then, at a higher cost than the up-front reads); reading the files' bytes on the page and transferring them instead of posting the Files (CPU 9.3-10.4 against 8.3-8.4 ms per image; posting 1,500 chosen Files costs the main thread 1.2 s, reading them costs more). Not done: one record for a batch's 128 px pixels instead of one per image: in a synthetic IndexedDB test (1,500 records of a 20 KB inline original and 48 KB of pixels, 48 per transaction) the browser's thread pool spent 1.1-1.2 ms per image with a pixel record each and 0.5 with one per batch (all Chromium 1.8-2.0 against 1.4-1.5 ms): about 0.5 of the ~8.5 ms per image, for a new record format (getPixels, loadTrainingSet and the thumbnails read it).",
      "- Dataset format 3 (issue 11 item 4, 2026-11-28 14:00-14:40): a batch's 128 px copies are one IndexedDB record (`pxb:<id>:<first image>`) and its originals up to 56 KiB another (`orib:<id>:<first image>`; each image record says where its file lies), instead of a pixel record and an image record holding its original per image (`src/storage/pixels.ts`, `src/storage/originals.ts`; datasets of formats 1-2 read as before). Chromium writes a value over 64 KiB to a file of its own: one file per batch instead of 96 LevelDB values. Measured with `bench/ingest-threads.ts --dist=<main's build> --dist=<this build> --reads`, the builds interleaved, 3 pairs each, load 3-9 (medians, ranges). 7,000 flickr8k-224 files: import 39.6 (33.0-42.1) → 26.9 (22.9-27.5) s (report), 45.9 → 34.0 s from folder choice, CPU of all Chromium threads 8.42 (8.09-8.50) → 6.64 (6.00-6.67) ms per image, of which the browser's IndexedDB thread pool 2.66 → 0.80. 1,500 files: import 6.5 → 4.7 s, 8.47 (6.59-9.81) → 5.88 (5.34-6.43) ms per image. The 120 originals (over 56 KiB, Blobs as before; only their pixels batched, 3 batches): 18.3 (17.8-19.1) → 20.5 (18.8-22.0) ms per image, import 1.1 → 1.2 s: no gain, within the spread of 120-image runs. Each step alone (7,000 files, main / pixels batched / pixels and originals batched interleaved, load 5-10): 8.44 / 7.70 / 6.55 ms per image, thread pool 2.76 / 1.68 / 0.81. Reading back (raw IndexedDB in the page, storage/pixels.ts's patterns): all 7,000 copies (loadTrainingSet's reads) 3.2 (2.3-3.8) → 3.7 (3.2-3.8) s, CPU 3.8 → 3.7 s, no clear change; one image's copy 2 → 19 ms and 20 scattered images (a search result's thumbnails) 11 → 291 ms, each read taking its whole 2.4 MB batch; one original (Use) 1 → 9 ms. Measured and not kept: a batch's pixels as a Blob read by slices (1,500 files, load 7): import alike (7.40 against 8.21 ms per image), 20 scattered images 26 ms, but all copies read 2.7× slower (1.40 against 0.52 s).",
      "- Before the import starts (7,000 flickr8k-224 files through Playwright's `setInputFiles`, profiled 2026-11-28): the browser lists the folder for the file input, about 4.4 s to the change event, then the change handler reads each File's size, about 3.2 s for 8,000 files (Chromium stats each file synchronously; see above for why it stays), then the report's clock starts; about 1 s after the last batch goes to the index, the list and the report on screen.",
      "- Until the wasm decoder below, `ImageDecoder` was used for JPEGs the worker has read whole (up to 56 KiB); the frame carries the EXIF orientation and drawImage applies it (e2e `ingest-exif` checks both paths). Its pixels are not createImageBitmap's: the stored 128 px copies differ by 2.09 levels on average (max 70) over 300 flickr8k-224 files and 2.62 (max 107) over the 120 originals (`bench/decode-diff.ts`), the order of jpeg-js against the browser (1.73, Node vs browser section); images imported before this change, and images scored in Use (decoded from the file), keep createImageBitmap's pixels.",
      "- Since 2026-11-28 (issue 11 item 4) JPEGs are decoded by libjpeg-turbo 2.1.5 compiled to wasm (`src/data/jpeg`, 187 KB, built with `-msimd128`, whose auto-vectorisation bought nothing: see the SIMD build below) at the DCT scale Pillow's `draft()` picks (1/8, 1/4, 1/2 or 1: the smallest whose short side covers 128; the originals at 1/2), the centre square resampled in the module with rgb.ts's area taps and turned upright by its EXIF orientation; createImageBitmap stays for other types and as the fallback. The page, the Node trainer and Python (`clip_lab.pixels`, with `draft()`) store equal bytes (0 levels apart over 60 originals and 60 flickr8k-224 files; e2e `ingest-exif` checks the page against Node). The 128 px copies moved from the canvas path's by 3.97 levels on average (max 119) on the originals and 2.64 (max 88) on flickr8k-224. CPU per image in Chromium (`bench/jpeg-scaled.ts`, 3 interleaved rounds, load 11): originals: the module alone 4.7 ms, preprocessImage with the file read 6.9 ms, the canvas path before 6.5 ms; flickr8k-224 1.8 / 2.0 / 2.1 ms. Reading a 100 KB Blob whole costs the page about 2 ms of CPU, which createImageBitmap's own read did not. In Node the trainer's JPEG decode went from 54 (jpeg-js) to 4.9 ms per original. One `bench:ingest` run after it (2026-11-28 12:03, load 7-11): flickr8k-224 128 images/s (119–141), 9.3 CPU ms per image; originals 69 (56–74), 19.7 CPU ms per image; page ÷ Pillow 0.39× and 0.80×: no change outside the noise from 10:05. Decoding is no longer where the page's time goes.",
      "- SIMD build of the wasm decoder (issue 11 item 4, 2026-11-28 afternoon; `src/data/jpeg`, 199 KB). Profile first (Node `--cpu-prof`, names kept): on the originals (4:4:4, decoded at 1/2) Huffman decoding took 44%, the 1/2-scale IDCT (`jpeg_idct_4x4`) 23%, the resample 11%, YCbCr→RGB 5%; on flickr8k-224 (4:2:0, full scale) the resample 29%, Huffman 18%, the full IDCT (`jpeg_idct_islow`) 17%, YCbCr→RGB 12%, upsampling 6%. Kept: libjpeg-turbo's SIMD hooks filled for WebAssembly (`jsimd_wasm.c`: both integer IDCTs and YCbCr→RGB over `wasm_simd128.h`, the C routines' exact arithmetic: 32-bit wrapping, their all-zero shortcuts per lane, the range-limit table's wrap-around) and the resample's two passes in SIMD (the same double arithmetic as `rgb.ts`). Bytes unchanged: 0 differing bytes against main's module over the 120 originals and 1,500 flickr8k-224 files in Chromium and in Node; unit tests compare the IDCTs with the C ones on 60,000 random blocks and YCbCr→RGB on all 2^24 inputs. CPU ms per image, module alone, this ÷ main's module as the median of per-round ratios, 3 interleaved rounds in one `bench/jpeg-scaled.ts` run (15:00, load 1-1.4): Chromium (all processes) originals 3.17 → 2.58 (**0.76×**, 0.60-0.97), flickr8k-224 1.27 → 0.96 (**0.76×**, 0.63-0.79); Node originals **0.73×** (0.53-0.77), flickr8k-224 1.43 → 1.01 (**0.71×**, 0.61-0.73). The decode path with the read, in a worker on file-backed Files (`File.arrayBuffer()` then the module, as the decode worker does): originals 5.75 → 4.92 ms, flickr8k-224 2.93 → 2.07 ms (medians of 3 rounds); preprocessImage on the page's main thread 4.83 and 0.95 ms. Huffman decoding is now about half of the originals' module time. `bench:ingest --only=originals` with it: at 15:03 on a quiet machine (load 0.5-0.8; that build read with FileReaderSync) 99.8 (84-121) images/s, 19.3-19.9 CPU ms per image (21.7-25.4 at 13:07), page ÷ Pillow 0.61× (0.60-0.88); at 15:11-15:13 (load 3-5.7), interleaved A B A B with that FileReaderSync build, 3 imports each: this build 85 (67-111) images/s, 21.1 (15.3-25.7) CPU ms per image, page ÷ Pillow 0.51× and 0.49×; FileReaderSync 82 (70-107), 18.9 (16.1-22.7), 0.54× and 0.56×. 120 images import in 1-2 s, so images/s swings with a second of load; the module's ~0.6-0.8 ms per image saved is inside that spread, and the page's other ~15 ms per image (storage, messaging) did not move. Targets (≥ 300 images/s, ≥ 1.3× Pillow) not met. Measured and not kept: compiler flags (`-O2`, `-flto`, `wasm-opt -O3`/`-O4` from Debian's binaryen 108, and dropping `-msimd128`: 0.94-1.01× of the old build, whose auto-vectorisation bought nothing); libjpeg-turbo's own Arm Neon intrinsics (`simd/arm`) through SIMDe (Debian's libsimde-dev 0.7.4): 1.5-1.9× slower, and its two IDCTs gave other bytes; `FileReaderSync` instead of `File.arrayBuffer()` in the decode worker: 0-0.3 ms per image either way over three runs (read + decode: originals 6.75/6.92, 4.75/5.08, 4.50/4.92; flickr8k-224 3.64/3.73, 2.35/2.61, 2.36/2.07 ms), within the noise (and in the imports above), and it blocks the worker that overlaps four files' reads with decoding. Browsers: with WebAssembly SIMD (Chrome/Edge 91+, Firefox 89+, Safari 16.4+, Node 16.4+) the module; without it the module cannot compile (as with the previous build, which had `-msimd128` too), the failure is remembered and JPEGs go through `createImageBitmap` with other pixels; a plain build for them would add about 230 KB of base64 to the decode worker.",
      '',
    );
  }
  const gpu = join(RESULTS_DIR, 'gpu.json');
  if (existsSync(gpu)) out.push(...gpuSection(JSON.parse(readFileSync(gpu, 'utf8')) as GpuFile));
  const wordOrder = join(RESULTS_DIR, 'word-order.md');
  if (existsSync(wordOrder)) out.push(readFileSync(wordOrder, 'utf8').replace(/^# /, '## '), '');
  const stack = join(RESULTS_DIR, 'stack-calibration.md');
  if (existsSync(stack)) out.push(readFileSync(stack, 'utf8').replace(/^# /, '## '), '');
  return out;
}

export function writeReport(): string {
  const train = readResult<TrainRow>('train');
  const search = readResult<SearchRow>('search');
  const memory = readResult<MemoryRow>('memory');
  const quality = readResult<QualityRow>('quality');
  const profile = readResult<ProfileRow>('profile');
  const preprocess = readResult<PreprocessRow>('preprocess');
  const ratioFile = readResult<Round>('ratio') as RatioFile | null;
  const ratioPretrained = readResult<Round>('ratio-pretrained') as RatioPretrainedFile | null;
  const lines = [
    '# Benchmarks',
    '',
    'Generated by `npm run bench` (or one of `bench:ratio`, `bench:ratio-pretrained`, `bench:train`, `bench:search`, `bench:memory`, `bench:profile`, `bench:quality`, `bench:preprocess`, `bench:ingest`, `bench:gpu`; `bench:report` only',
    'rewrites this file) from `bench/results/*.json`. Every number below comes from the run named above its table, on the',
    "machine named there, a 2-core machine shared with other work: absolute times are this machine's at that moment. Every ratio",
    'to PyTorch comes from sides run interleaved (A B A B …, at least 3 rounds) in one invocation, as the median of the per-round',
    'ratios with its range and the load average.',
    '',
    ...(ratioFile ? summary(ratioFile) : ['## Same-run ratios to PyTorch', '', 'Not run yet: `npm run bench:ratio`.', '']),
    ...(ratioPretrained ? ratioPretrainedSection(ratioPretrained, machineLine) : []),
    ...(train ? trainSection(train) : ['## Training throughput', '', 'Not run yet: `npm run bench:train`.', '']),
    ...(profile ? profileSection(profile) : []),
    ...obstacles(profile),
    ...(search ? searchSection(search) : ['## Search and index build', '', 'Not run yet: `npm run bench:search`.', '']),
    ...(memory ? memorySection(memory) : ['## Memory', '', 'Not run yet: `npm run bench:memory`.', '']),
    ...(quality
      ? qualitySection(quality, (cmd) => header(quality, cmd))
      : ['## Quality', '', 'Not run yet: `npm run bench:quality` (trains on ../shared/datasets/flickr8k-224).', '']),
    ...backboneSection((f, cmd) => header({ ...f, benchmark: 'backbone' } as never, cmd)),
    ...(preprocess ? preprocessSection(preprocess) : []),
    ...extraSections(),
  ];
  writeFileSync(OUT, lines.join('\n'));
  return OUT;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`wrote ${writeReport()}`);
