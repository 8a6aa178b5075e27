// BENCHMARKS.md's section for bench:ratio-pretrained (bench/ratio-pretrained.ts): the pretrained
// tower's head-only step and feature pass against PyTorch, same run, as ratios and as images/s.

import type { Sample } from './interleave';
import type { MachineInfo } from './machine';
import type { RatioPretrainedFile } from '../ratio-pretrained';

// The sides' ids (here, not in ratio-pretrained.ts: report.ts, which that script imports at its end, must not import it back).
export const TORCH_HEAD = 'pytorch head step, 1 thread';
export const TORCH_HEAD_OPENBLAS = 'pytorch head step, 1 thread, OpenBLAS';
export const LAB_HEAD = 'node wasm head step (featureTrainStep)';
export const TORCH_PASS = 'pytorch mobilenet_v2 feature pass, 1 thread';
export const LAB_PASS_WASM = 'node wasm feature pass (extractFeatures)';
export const LAB_PASS_CPU = 'node cpu feature pass (extractFeatures)';

const n0 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const n1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));

export function ratioPretrainedSection(f: RatioPretrainedFile, machineLine: (m: MachineInfo) => string): string[] {
  const samples = (id: string) => f.rows.map((r) => r.samples[id]).map((x) => (x && 'ms' in x ? (x as Sample) : null));
  const perRound = (id: string, measure: 'ms' | 'cpuMs', fmt: (x: number | undefined) => string) =>
    samples(id)
      .map((x) => (x ? fmt(x[measure]) : 'failed'))
      .join(' · ');
  const lines = [
    '## Pretrained tower: same-run ratios to PyTorch (`npm run bench:ratio-pretrained`)',
    '',
    `Run ${f.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${f.seconds} s (results in \`bench/results/ratio-pretrained.json\`). Machine: ${machineLine(f.machine)}.`,
    '',
    `${f.rows.length} interleaved rounds, PyTorch ${f.machine.torch ?? ''} on 1 CPU thread. A ratio is the median of the per-round ratios (lab ÷ PyTorch of the same round, time per step or per image); higher is slower, below 1× the lab is faster.`,
    '',
    '| lab side, against | × PyTorch (median of rounds) | range | per round | lab in each round (this machine) | PyTorch in each round |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of f.ratios) {
    const pass = r.to === TORCH_PASS;
    const unit = pass ? 'ms/image' : 'ms/step';
    lines.push(
      `| ${r.side}${r.measure === 'cpuMs' ? ', CPU time' : ''}, against ${r.to} | **${r.median.toFixed(2)}×** | ${r.min.toFixed(2)}–${r.max.toFixed(2)}× | ${r.perRound.map((x) => x.toFixed(2)).join(', ')} | ${perRound(r.side, r.measure, pass ? n1 : n0)} ${unit} | ${perRound(r.to, r.measure, pass ? n1 : n0)} ${unit} |`,
    );
  }
  const ips = (id: string) =>
    samples(id)
      .map((x) => (x ? n1(1000 / x.ms) : 'failed'))
      .join(' · ');
  const head = samples(TORCH_HEAD).filter((x) => x !== null);
  lines.push(
    '',
    `Feature pass in images/s per round (wall clock, this machine): PyTorch 1 thread ${ips(TORCH_PASS)}; Node wasm ${ips(LAB_PASS_WASM)}` +
      (f.rows.some((r) => r.samples[LAB_PASS_CPU]) ? `; Node cpu ${ips(LAB_PASS_CPU)}.` : '.'),
    '',
    `Load average (1 min) at the start of each round: ${f.rows.map((r) => r.loadAverage[0]).join(', ')}.${head.length ? '' : ' PyTorch head step failed in every round.'}`,
    '',
    ...f.notes.map((n) => `- ${n}`),
    '',
  );
  return lines;
}
