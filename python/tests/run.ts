// npm run test:python: the lab writes fixtures (./lab.ts prepare), Python's unittest suite runs
// against them (python/tests/test_*.py, Debian's python3-torch), then the lab imports what Python
// saved (./lab.ts check). Python is /usr/bin/python3 unless $PYTHON names another.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupNodeBackend } from '../../cli/backend';
import { check, prepare } from './lab';

const python = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const log = (s: string) => console.log(`[lab] ${s}`);

async function main(): Promise<number> {
  await setupNodeBackend('wasm'); // the headless trainer's default; scores below are computed on it too
  const dir = mkdtempSync(join(tmpdir(), 'clip-lab-py-'));
  try {
    let t = performance.now();
    await prepare(dir, log);
    log(`fixtures in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    const args = [
      '-m',
      'unittest',
      'discover',
      '-s',
      join(import.meta.dirname),
      '-t',
      join(import.meta.dirname, '..'),
      ...process.argv.slice(2),
    ];
    const py = spawnSync(python, args, {
      stdio: 'inherit',
      env: { ...process.env, CLIP_LAB_FIXTURES: dir, PYTHONPATH: join(import.meta.dirname, '..') },
    });
    log(`python tests: exit ${py.status} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    if (py.status !== 0) return 1;
    const failures = await check(dir, log);
    for (const f of failures) console.error(`[lab] FAIL ${f}`);
    return failures.length ? 1 : 0;
  } finally {
    if (!process.env.CLIP_LAB_KEEP_FIXTURES) rmSync(dir, { recursive: true, force: true });
    else log(`fixtures kept in ${dir}`);
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
