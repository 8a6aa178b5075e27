// Interleaved measurement, the only way a ratio is reported: sides A, B, C … run in turn, round
// after round (A B C A B C …), each round under about the same load, and each ratio is the median
// of the per-round ratios to the reference side, with their range and the load in each round.

import os from 'node:os';

export interface Sample {
  ms: number; // the side's time per unit of work in this round (e.g. median ms per training step)
  cpuMs?: number; // the same in CPU time of the side's process, where it can be read (less sensitive to other load)
  detail?: string;
}

export interface Side {
  id: string;
  run(): Promise<Sample>;
}

export interface Round {
  round: number;
  loadAverage: number[]; // 1, 5, 15 minutes, when the round started
  samples: Record<string, Sample | { error: string }>;
}

export interface Ratio {
  side: string;
  measure: 'ms' | 'cpuMs'; // wall-clock time, or CPU time of the process
  to: string; // the reference side
  perRound: number[]; // side ms / reference ms, rounds where both ran
  median: number;
  min: number;
  max: number;
}

const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

/** Runs every side once per round, in the given order, for `rounds` rounds. A failing side is recorded, not fatal. */
export async function interleave(sides: Side[], rounds: number, log: (line: string) => void = console.log): Promise<Round[]> {
  const out: Round[] = [];
  for (let r = 1; r <= rounds; r++) {
    const round: Round = { round: r, loadAverage: load(), samples: {} };
    for (const side of sides) {
      try {
        round.samples[side.id] = await side.run();
        log(`round ${r}/${rounds} ${side.id}: ${(round.samples[side.id] as Sample).ms.toFixed(0)} ms (load ${load()[0]})`);
      } catch (err) {
        round.samples[side.id] = {
          error: String((err as Error)?.message ?? err)
            .split('\n')[0]
            .slice(0, 300),
        };
        log(`round ${r}/${rounds} ${side.id}: failed: ${(round.samples[side.id] as { error: string }).error}`);
      }
    }
    out.push(round);
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Per-round ratios of `side` to `to` in wall-clock or CPU time, summarised; null when no round has both. */
export function ratio(rounds: Round[], side: string, to: string, measure: Ratio['measure'] = 'ms'): Ratio | null {
  const perRound: number[] = [];
  for (const r of rounds) {
    const a = r.samples[side];
    const b = r.samples[to];
    const x = a && 'ms' in a ? a[measure] : undefined;
    const y = b && 'ms' in b ? b[measure] : undefined;
    if (x !== undefined && y !== undefined && Number.isFinite(x / y)) perRound.push(x / y);
  }
  if (!perRound.length) return null;
  return { side, measure, to, perRound, median: median(perRound), min: Math.min(...perRound), max: Math.max(...perRound) };
}
