// What a benchmark ran on: CPU model and count, memory, OS, Node and TF.js versions, the load
// average (other work on the machine skews every number: compare ratios within one run), and
// PyTorch when /usr/bin/python3 has it.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  tfjs: string;
  loadAverage: number[]; // 1, 5, 15 minutes, when the run started
  chromium?: string;
  page?: unknown; // the bench page's own view: userAgent, hardwareConcurrency, WebGPU adapter, WebGL renderer
  torch?: string | null;
}

const require = createRequire(import.meta.url);

export function tfjsVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('@tensorflow/tfjs/package.json'), 'utf8')) as { version: string }).version;
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    tfjs: tfjsVersion(),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

/** PyTorch's version from PYTHON (default /usr/bin/python3), or null when it has none. */
export function torchVersion(): string | null {
  try {
    return execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

/**
 * CPU seconds (user + system) used so far by the live processes descended from this one (the
 * headless Chromium a benchmark launched), read from Linux's /proc; null elsewhere. Less swayed by
 * other work on the machine than wall time: it counts what the work cost, not how long it waited.
 */
export function childrenCpuSeconds(): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const procs = new Map<number, { ppid: number; cpu: number }>();
  const tick = 100; // USER_HZ on Linux
  for (const d of entries) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
      procs.set(Number(d), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / tick });
    } catch {
      // the process ended while we read
    }
  }
  const descends = (pid: number) => {
    for (let p = procs.get(pid)?.ppid, hops = 0; p && hops < 32; p = procs.get(p)?.ppid, hops++) if (p === process.pid) return true;
    return false;
  };
  let total = 0;
  for (const [pid, { cpu }] of procs) if (descends(pid)) total += cpu;
  return total;
}
