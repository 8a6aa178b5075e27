// e2e: the same first training steps (same seed, same initial weights, same batch) give the same
// loss on the cpu, webgpu (SwiftShader here), webgl and wasm backends in Chromium, to 1e-4.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath, REPO_ROOT } from './harness';

const CONFIG = join(REPO_ROOT, 'tests/e2e/pages/parity/vite.config.ts');
let server: PreviewServer;
let browser: Browser;
let url: string;

beforeAll(async () => {
  execFileSync('npx', ['vite', 'build', '--config', CONFIG], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  server = await preview({ configFile: CONFIG, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false } });
  url = server.resolvedUrls!.local[0];
  browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function losses(backend: string): Promise<{ backend: string; losses: number[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => /Error while parsing WGSL|Invalid ComputePipeline/i.test(m.text()) && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => 'firstStepLosses' in globalThis, null, { timeout: 60_000 });
    const out = await page.evaluate(
      (b) => (globalThis as unknown as { firstStepLosses(b: string): Promise<{ backend: string; losses: number[] }> }).firstStepLosses(b),
      backend,
    );
    expect(problems).toEqual([]);
    return out;
  } finally {
    await page.close();
  }
}

it('gives the same first-step loss on cpu, webgpu, webgl and wasm', async () => {
  const cpu = await losses('cpu');
  expect(cpu.backend).toBe('cpu');
  expect(cpu.losses).toHaveLength(2);
  for (const backend of ['webgpu', 'webgl', 'wasm']) {
    const other = await losses(backend);
    expect(other.backend).toBe(backend);
    expect(Math.abs(other.losses[0] - cpu.losses[0]), `${backend} step 1: ${other.losses[0]} vs cpu ${cpu.losses[0]}`).toBeLessThan(1e-4);
    expect(Math.abs(other.losses[1] - cpu.losses[1]), `${backend} step 2: ${other.losses[1]} vs cpu ${cpu.losses[1]}`).toBeLessThan(1e-3);
  }
});
