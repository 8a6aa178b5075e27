// Builds the GPU benchmark bundle (npm run bench:gpu -- [--run] [run.py flags]): one folder,
// bench/gpu/dist/clip-lab-gpu/, that runs on an NVIDIA machine with its driver, Python and PyTorch
// but no Node, no npm and no network: run.py, pytorch_bench.py, bench.mjs (the app's trainer and
// bench/lib/trainBench.ts bundled by esbuild), node.xz (this Node binary), dawn.node.xz (the
// `webgpu` package's Dawn for linux-x64) and libvulkan.so.1 (Debian's libvulkan1, unpacked).
// --run then runs it here (Dawn needs a Vulkan driver: VK_ICD_FILENAMES from .ci/lavapipe.sh).

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
export const OUT = join(HERE, 'dist', 'clip-lab-gpu');
const require = createRequire(import.meta.url);
const MiB = 2 ** 20;

function xz(src: string, dst: string) {
  execFileSync('sh', ['-c', `xz -T1 -6 -c "${src}" > "${dst}"`]);
}

/** libvulkan.so.1 from Debian's libvulkan1 package (apt-get download + dpkg -x), else the system's. */
function vulkanLoader(dst: string): string {
  const tmp = mkdtempSync(join(tmpdir(), 'libvulkan1-'));
  try {
    execFileSync('apt-get', ['download', 'libvulkan1'], { cwd: tmp, stdio: 'ignore' });
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'))!;
    execFileSync('dpkg', ['-x', join(tmp, deb), join(tmp, 'root')]);
    const lib = join(tmp, 'root/usr/lib/x86_64-linux-gnu/libvulkan.so.1');
    copyFileSync(lib, dst); // copyFileSync follows the symlink to the versioned file
    return deb;
  } catch {
    const system = '/usr/lib/x86_64-linux-gnu/libvulkan.so.1';
    if (!existsSync(system))
      throw new Error('libvulkan.so.1: `apt-get download libvulkan1` failed and the system has none (apt-get install libvulkan1)');
    copyFileSync(system, dst);
    return `${system} (system copy)`;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The scripts alone into `dir`: bench.mjs (the trainer, bundled), run.py, pytorch_bench.py. */
export async function bundleScripts(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await build({
    entryPoints: [join(HERE, 'entry.ts')],
    outfile: join(dir, 'bench.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    logLevel: 'warning',
    // Bundled CommonJS (tfjs, seedrandom) calls require(); ESM output needs one defined.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  copyFileSync(join(HERE, 'run.py'), join(dir, 'run.py'));
  copyFileSync(join(HERE, '..', 'pytorch_bench.py'), join(dir, 'pytorch_bench.py'));
}

/** The `webgpu` package's dawn.node for this platform. */
export function dawnNodePath(): string {
  return join(dirname(require.resolve('webgpu/package.json')), 'dist', `${process.platform}-${process.arch}`, 'dawn.node');
}

export async function pack(): Promise<string> {
  rmSync(OUT, { recursive: true, force: true });
  await bundleScripts(OUT);
  xz(process.execPath, join(OUT, 'node.xz'));
  xz(dawnNodePath(), join(OUT, 'dawn.node.xz'));
  const loader = vulkanLoader(join(OUT, 'libvulkan.so.1'));
  let total = 0;
  for (const f of readdirSync(OUT)) {
    const size = statSync(join(OUT, f)).size;
    total += size;
    console.log(`${f.padEnd(18)} ${(size / MiB).toFixed(1).padStart(6)} MiB`);
  }
  console.log(`bundle ${OUT}: ${(total / MiB).toFixed(1)} MiB (Node ${process.version}; Vulkan loader from ${loader})`);
  return OUT;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = await pack();
  if (process.argv.includes('--run')) {
    const flags = process.argv.slice(2).filter((a) => a !== '--run');
    execFileSync(process.env.PYTHON ?? '/usr/bin/python3', [join(out, 'run.py'), ...flags], { stdio: 'inherit' });
  }
}
