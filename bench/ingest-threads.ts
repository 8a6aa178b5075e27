// Where an import's CPU goes, by Chromium process type and thread: reads /proc/<pid>/task/*/stat of
// every Chromium process before choosing the folder and after the report shows, and prints CPU ms
// per stored image for each (process type, thread name) pair. Covers what a JS profile cannot: the
// browser process's file reads and IndexedDB, the GPU process, the renderer's compositor threads.
// Linux only. Run: node --import tsx bench/ingest-threads.ts <folder> [rounds]
import { readdirSync, readFileSync } from 'node:fs';
import { chooseFolder, openLab } from '../tests/e2e/harness';

const TICK_MS = 10; // USER_HZ = 100

/** CPU ms by "process type / thread name" of every descendant of this Node process. */
function threadCpu(): Map<string, number> {
  const procs = new Map<number, { ppid: number; type: string }>();
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      const type = /--type=([a-z-]+)/.exec(cmd)?.[1] ?? (cmd.includes('chrom') ? 'browser' : 'other');
      procs.set(Number(d), { ppid, type });
    } catch {
      // ended while read
    }
  }
  const descends = (pid: number) => {
    for (let p = procs.get(pid)?.ppid, hops = 0; p && hops < 32; p = procs.get(p)?.ppid, hops++) if (p === process.pid) return true;
    return false;
  };
  const out = new Map<string, number>();
  for (const [pid, { type }] of procs) {
    if (!descends(pid) || type === 'other') continue;
    let tasks: string[] = [];
    let live = 0;
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // A process's own stat counts its exited threads too (the decode workers end with the import).
      live = -(Number(f[11]) + Number(f[12])) * TICK_MS;
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
        const name = stat
          .slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
          .replace(/\d+$/, '')
          .replace(/[0-9]+/g, '#');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const key = `${type} / ${name}`;
        out.set(key, (out.get(key) ?? 0) + (Number(f[11]) + Number(f[12])) * TICK_MS);
        live += (Number(f[11]) + Number(f[12])) * TICK_MS;
      } catch {
        // thread ended
      }
    }
    const key = `${type} / (exited threads)`;
    out.set(key, (out.get(key) ?? 0) - live);
  }
  return out;
}

async function once(dir: string) {
  const lab = await openLab();
  try {
    const { page } = lab;
    await page.getByTestId('dataset-list-empty').waitFor({ timeout: 60_000 });
    const before = threadCpu();
    const t0 = performance.now();
    await chooseFolder(page, dir);
    await page.getByTestId('report-images').waitFor({ timeout: 600_000 });
    const wall = (performance.now() - t0) / 1000;
    const after = threadCpu();
    const images = Number(((await page.getByTestId('report-images').textContent()) ?? '').replace(/[^0-9]/g, ''));
    const rows = [...after].map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / images] as const).filter(([, v]) => v > 0.05);
    rows.sort((a, b) => b[1] - a[1]);
    const total = rows.reduce((s, [, v]) => s + v, 0);
    console.log(
      `${dir}: ${images} images, wall ${wall.toFixed(1)} s, CPU ${total.toFixed(1)} ms/image (load ${(await import('node:os')).loadavg()[0].toFixed(1)})`,
    );
    for (const [k, v] of rows) console.log(`  ${v.toFixed(2).padStart(6)}  ${k}`);
  } finally {
    await lab.close();
  }
}

const [dir, rounds = '1'] = process.argv.slice(2);
for (let i = 0; i < Number(rounds); i++) await once(dir);
