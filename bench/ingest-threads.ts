// Where an import's CPU goes, by Chromium process type and thread: reads /proc/<pid>/task/*/stat of
// every Chromium process before choosing the folder and after the report shows, and prints CPU ms
// per stored image for each (process type, thread name) pair. Covers what a JS profile cannot: the
// browser process's file reads and IndexedDB, the GPU process, the renderer's compositor threads.
// Linux only. Run: node --import tsx bench/ingest-threads.ts <folder> [rounds] [--dist=<built app> …]
// [--reads]. Several --dist builds are imported interleaved (A B A B …) and summarised side by side;
// --reads also times reading the stored pixels back (all of them, one image, 20 scattered).
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { chooseFolder, NAME_SHIM, openLab } from '../tests/e2e/harness';

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

/** One read pattern of the stored pixels, timed in the page: wall ms and CPU ms of every Chromium thread. */
interface ReadTiming {
  ms: number;
  cpuMs: number;
}

/**
 * Reads the stored pixels back in the page the way storage/pixels.ts does for the stored layout
 * (per-image records: 500 gets per transaction, as loadTrainingSet did; batch records: 8 per
 * transaction): 'all' into one array (loadTrainingSet's reads), 'one' image, 'scattered' 20 images
 * spread over the dataset (a search result's thumbnails). Raw IndexedDB: either build's page.
 */
async function readBack(page: Page, pattern: 'all' | 'one' | 'scattered' | 'original'): Promise<ReadTiming> {
  await page.evaluate(NAME_SHIM);
  const before = threadCpu();
  const ms = await page.evaluate(async (pattern) => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('clip-lab-datasets');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const ask = <T>(req: IDBRequest<T>) =>
      new Promise<T>((res, rej) => {
        req.onsuccess = () => res(req.result);
        req.onerror = () => rej(req.error);
      });
    const store = () => db.transaction('kv').objectStore('kv');
    const metas = await ask(store().getAll(IDBKeyRange.bound('meta:', 'meta:\uffff')));
    const meta = metas[0] as { id: string; storedImages: number; imageSize: number };
    const per = meta.imageSize ** 2 * 3;
    const n = meta.storedImages;
    const t0 = performance.now();
    if (pattern === 'original') {
      // Use: one image's original file (its image record, then its batch of originals in format 3).
      const rec = await ask<{ original?: Blob | { bytes: Uint8Array } | { batch: number; offset: number; length: number } }>(
        store().get(`img:${meta.id}:${Math.floor(n / 2)}`),
      );
      const o = rec.original;
      let size = 0;
      if (o instanceof Blob) size = (await o.arrayBuffer()).byteLength;
      else if (o && 'bytes' in o) size = o.bytes.byteLength;
      else if (o) {
        const all = await ask<Uint8Array<ArrayBuffer>>(store().get(`orib:${meta.id}:${String(o.batch).padStart(9, '0')}`));
        size = new Blob([all.subarray(o.offset, o.offset + o.length)]).size;
      }
      db.close();
      if (!size) throw new Error('no original read');
      return performance.now() - t0;
    }
    const batchKeys = (await ask(store().getAllKeys(IDBKeyRange.bound(`pxb:${meta.id}:`, `pxb:${meta.id}:\uffff`)))).map(String);
    const starts = batchKeys.map((k) => Number(k.split(':')[2]));
    const wanted =
      pattern === 'all'
        ? [...Array(n).keys()]
        : pattern === 'one'
          ? [Math.floor(n / 2)]
          : Array.from({ length: 20 }, (_, k) => Math.floor(((k + 0.5) * n) / 20));
    const out = new Uint8Array(wanted.length * per);
    if (!batchKeys.length) {
      for (let s = 0; s < wanted.length; s += 500) {
        const s0 = store();
        const got = await Promise.all(wanted.slice(s, s + 500).map((i) => ask<Uint8Array>(s0.get(`px:${meta.id}:${i}`))));
        got.forEach((p, k) => out.set(p, (s + k) * per));
      }
    } else {
      const batchOf = (i: number) => starts.findLastIndex((st) => st <= i);
      const bs = [...new Set(wanted.map(batchOf))];
      for (let s = 0; s < bs.length; s += 8) {
        const s0 = store();
        const got = await Promise.all(bs.slice(s, s + 8).map((b) => ask<Uint8Array | Blob>(s0.get(batchKeys[b]))));
        const byBatch = new Map(bs.slice(s, s + 8).map((b, k) => [b, got[k]]));
        await Promise.all(
          wanted.map(async (i, k) => {
            const v = byBatch.get(batchOf(i));
            const from = (i - starts[batchOf(i)]) * per;
            if (v instanceof Blob) out.set(new Uint8Array(await v.slice(from, from + per).arrayBuffer()), k * per);
            else if (v) out.set(v.subarray(from, from + per), k * per);
          }),
        );
      }
    }
    const ms = performance.now() - t0;
    db.close();
    if (out[out.length - 1] === undefined) throw new Error('nothing read');
    return ms;
  }, pattern);
  const after = threadCpu();
  const cpuMs = [...after].reduce((s, [k, v]) => s + Math.max(0, v - (before.get(k) ?? 0)), 0);
  return { ms, cpuMs };
}

interface Round {
  dist: string;
  images: number;
  wall: number; // s, folder choice to report
  importSeconds: number; // the report's own
  cpu: number; // ms per image, all Chromium threads
  rows: (readonly [string, number])[];
  reads: Record<string, ReadTiming>;
}

async function once(dir: string, dist: string | undefined, reads: boolean): Promise<Round> {
  const lab = await openLab({ dist });
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
    const importSeconds = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open('clip-lab-datasets');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const metas = await new Promise<{ report?: { seconds: number } }[]>((res, rej) => {
        const q = db.transaction('kv').objectStore('kv').getAll(IDBKeyRange.bound('meta:', 'meta:\uffff'));
        q.onsuccess = () => res(q.result);
        q.onerror = () => rej(q.error);
      });
      db.close();
      return metas[0]?.report?.seconds ?? NaN;
    });
    const label = dist ?? 'dist';
    console.log(
      `${label} ${dir}: ${images} images, wall ${wall.toFixed(1)} s (import ${importSeconds.toFixed(1)} s), CPU ${total.toFixed(1)} ms/image (load ${loadavg()[0].toFixed(1)})`,
    );
    for (const [k, v] of rows) console.log(`  ${v.toFixed(2).padStart(6)}  ${k}`);
    const timed: Record<string, ReadTiming> = {};
    if (reads) {
      await page.waitForTimeout(2000); // let the gallery's first thumbnails settle
      for (const p of ['all', 'one', 'scattered', 'original', 'all'] as const) {
        const t = await readBack(page, p);
        const key = timed[p] ? `${p} again` : p;
        timed[key] = t;
        console.log(`  read ${key}: ${t.ms.toFixed(1)} ms, CPU ${t.cpuMs} ms`);
      }
    }
    lab.assertHealthy();
    return { dist: label, images, wall, importSeconds, cpu: total, rows, reads: timed };
  } finally {
    await lab.close();
  }
}

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const dists = process.argv.filter((a) => a.startsWith('--dist=')).map((a) => resolve(a.slice(7)));
const reads = process.argv.includes('--reads');
const [dir, rounds = '1'] = positional;
const results: Round[] = [];
// Interleaved: A B A B … so that the load on the machine falls on every build alike.
for (let i = 0; i < Number(rounds); i++) for (const d of dists.length ? dists : [undefined]) results.push(await once(dir, d, reads));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cell = (xs: number[], digits: number) =>
  `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;
console.log('\nmedian (range) per build:');
for (const d of [...new Set(results.map((r) => r.dist))]) {
  const rs = results.filter((r) => r.dist === d);
  const thread = (k: string) => rs.map((r) => r.rows.find(([name]) => name === k)?.[1] ?? 0);
  const top = [...new Set(rs.flatMap((r) => r.rows.slice(0, 6).map(([k]) => k)))].sort((a, b) => median(thread(b)) - median(thread(a)));
  const parts = [
    `wall s ${cell(
      rs.map((r) => r.wall),
      1,
    )}`,
    `import s ${cell(
      rs.map((r) => r.importSeconds),
      1,
    )}`,
    `CPU ms/image ${cell(
      rs.map((r) => r.cpu),
      2,
    )}`,
    ...top.slice(0, 6).map((k) => `${k} ${cell(thread(k), 2)}`),
  ];
  for (const p of Object.keys(rs[0].reads)) {
    parts.push(
      `read ${p} ms ${cell(
        rs.map((r) => r.reads[p].ms),
        0,
      )} (CPU ${cell(
        rs.map((r) => r.reads[p].cpuMs),
        0,
      )})`,
    );
  }
  console.log(`${d}: ${parts.join('; ')}`);
}
