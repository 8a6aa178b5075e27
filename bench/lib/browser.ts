// Drives the benchmark page: builds it (bench/vite.config.ts), serves it on loopback with COOP/COEP,
// and opens one fresh headless Chromium page per measurement (one TF.js backend per page), with the
// same flags as the e2e harness (WebGPU needs --enable-unsafe-webgpu).

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { chromiumPath } from '../../tests/e2e/harness';

const CONFIG = fileURLToPath(new URL('../vite.config.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--enable-unsafe-webgpu',
];
/**
 * Console lines that mean WebGPU dropped work silently: a shader that fails to compile (e.g. an
 * int32 transpose) drops the whole batched submission and other ops read stale buffers (tfjs#8638).
 * The numbers would be wrong.
 */
const FATAL = [/Error while parsing WGSL/i, /Invalid ComputePipeline/i];

export interface BenchBrowser {
  browser: Browser;
  version: string;
  url: string; // the served bench page
  /** Calls window.clipBench[method](...args) in a fresh page; throws on a page error or a fatal WebGPU message. */
  run<R>(method: 'machine' | 'train' | 'index' | 'search' | 'preprocess', args: unknown[], timeoutMs: number): Promise<R>;
  close(): Promise<void>;
}

/** 'app': the app's build settings, CSP included; 'no-csp': without the CSP, which blocks threaded wasm's blob: worker scripts. */
export type PageVariant = 'app' | 'no-csp';

const env = (variant: PageVariant) => ({ ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true', CLIP_BENCH_VARIANT: variant });

export function buildBenchPage(variant: PageVariant = 'app'): void {
  execFileSync('npx', ['vite', 'build', '--config', CONFIG], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: env(variant) });
}

export async function openBenchBrowser(variant: PageVariant = 'app'): Promise<BenchBrowser> {
  process.env.CLIP_BENCH_VARIANT = variant; // read by bench/vite.config.ts for the output folder
  const server: PreviewServer = await preview({
    configFile: CONFIG,
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('bench preview server reported no local URL');
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ARGS });
  return {
    browser,
    version: browser.version(),
    url,
    async run<R>(method: string, args: unknown[], timeoutMs: number): Promise<R> {
      const context = await browser.newContext();
      const page: Page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => FATAL.some((re) => re.test(m.text())) && problems.push(m.text()));
      page.on('pageerror', (e) => problems.push(String(e)));
      try {
        await page.goto(url, { waitUntil: 'load' });
        await page.waitForFunction(() => 'clipBench' in globalThis, null, { timeout: 60_000 });
        page.setDefaultTimeout(timeoutMs);
        const timer = new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`benchmark timed out after ${timeoutMs / 1000} s`)), timeoutMs).unref(),
        );
        const result = await Promise.race([
          page.evaluate(
            ([m, a]) => (globalThis as unknown as { clipBench: Record<string, (...x: unknown[]) => Promise<unknown>> }).clipBench[m](...a),
            [method, args] as [string, unknown[]],
          ),
          timer,
        ]);
        if (problems.length) throw new Error(`page problems: ${problems.join('; ')}`);
        return result as R;
      } finally {
        await context.close();
      }
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
