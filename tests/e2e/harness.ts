// Reusable end-to-end harness: serves the built app (dist/) on loopback with Vite's preview
// server and drives it in Debian's headless Chromium through playwright-core, as a person would.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export { SHARED_DATASETS } from '../datasets';

/**
 * Console messages that mean WebGPU silently dropped work: a shader that fails to compile drops
 * the whole batched submission and unrelated ops read stale buffers, without throwing (tfjs#8638).
 */
const FATAL_CONSOLE = [/Error while parsing WGSL/i, /Invalid ComputePipeline/i];

export function chromiumPath(): string {
  const candidates = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found) {
    throw new Error(
      'Chromium not found at $CHROME_PATH or /usr/bin/chromium. Install it with ' +
        '`sudo apt-get install -y chromium` (Debian/Ubuntu) or set CHROME_PATH.',
    );
  }
  return found;
}

export interface Lab {
  url: string;
  context: BrowserContext;
  page: Page;
  /** Console lines seen so far (type: text). */
  consoleLines: string[];
  /** Throws if the page logged a fatal WebGPU message or threw an uncaught error. */
  assertHealthy(): void;
  close(): Promise<void>;
}

/** Headless Chromium flags: no network chatter, a WebGPU adapter even without a GPU (SwiftShader). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--enable-unsafe-webgpu',
];

let server: PreviewServer | undefined;
let serverDist = '';
let serverUsers = 0;

async function startServer(dist = join(REPO_ROOT, 'dist')): Promise<string> {
  if (!existsSync(join(dist, 'index.html'))) {
    throw new Error(`${dist}/index.html is missing: run \`npx vite build\` first (npm run test:e2e does).`);
  }
  if (server && serverDist !== dist) throw new Error(`The preview server serves ${serverDist}; close its labs before serving ${dist}.`);
  if (!server) {
    server = await preview({
      root: REPO_ROOT,
      logLevel: 'warn',
      build: { outDir: dist },
      preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
    });
    serverDist = dist;
  }
  serverUsers++;
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('preview server reported no local URL');
  return url;
}

async function stopServer(): Promise<void> {
  serverUsers--;
  if (serverUsers <= 0 && server) {
    await server.close();
    server = undefined;
  }
}

export interface OpenOptions {
  /** Extra query string for the app URL, e.g. '?preset=tiny'. */
  query?: string;
  /** Downloads land here when given. */
  acceptDownloads?: boolean;
  /** The built app to serve (default dist/): benchmarks compare another build in the same run. */
  dist?: string;
}

/** Starts the server and a fresh Chromium profile, and opens the lab. */
export async function openLab(opts: OpenOptions = {}): Promise<Lab> {
  const url = await startServer(opts.dist);
  const userDataDir = mkdtempSync(join(tmpdir(), 'clip-lab-e2e-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: true,
    acceptDownloads: opts.acceptDownloads ?? true,
    viewport: { width: 1280, height: 900 },
    args: CHROMIUM_ARGS,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleLines: string[] = [];
  const pageErrors: string[] = [];
  const watch = (p: Page) => {
    p.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    p.on('pageerror', (e) => pageErrors.push(String(e)));
  };
  watch(page);
  context.on('page', watch);
  // Workers log to the page's console in Chromium through CDP; watch them too.
  page.on('worker', (w) => w.on('console', (m) => consoleLines.push(`worker ${m.type()}: ${m.text()}`)));
  await page.goto(url + (opts.query ?? ''), { waitUntil: 'commit' });
  return {
    url,
    context,
    page,
    consoleLines,
    assertHealthy() {
      const fatal = consoleLines.filter((l) => FATAL_CONSOLE.some((re) => re.test(l)));
      if (fatal.length || pageErrors.length) {
        throw new Error(`page unhealthy:\n${[...fatal, ...pageErrors].join('\n')}`);
      }
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
      await stopServer();
    },
  };
}

/** Chooses a folder through the page's "Choose folder" input, as a person would. */
export async function chooseFolder(page: Page, dir: string): Promise<void> {
  await page.getByTestId('choose-folder-input').setInputFiles(dir);
}

/** Waits until a test id's text matches, polling; returns the text. */
export async function waitForText(page: Page, testId: string, re: RegExp, timeoutMs = 120_000): Promise<string> {
  const loc = page.getByTestId(testId);
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = (await loc.textContent().catch(() => '')) ?? '';
    if (re.test(last)) return last;
    await page.waitForTimeout(250);
  }
  const banners = await page
    .getByTestId('error-banner')
    .allTextContents()
    .catch(() => []);
  throw new Error(
    `timed out waiting for [data-testid=${testId}] to match ${re}; last text: ${JSON.stringify(last)}` +
      (banners.length ? `; error shown: ${banners.join(' | ')}` : ''),
  );
}

/** Every key in the lab's datasets store, read straight from the page's IndexedDB (never creating the database). */
export function datasetStoreKeys(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    if (!(await indexedDB.databases()).some((d) => d.name === 'clip-lab-datasets')) return [];
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('clip-lab-datasets');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const keys = await new Promise<IDBValidKey[]>((res, rej) => {
      const req = db.transaction('kv').objectStore('kv').getAllKeys();
      req.onsuccess = () => res(req.result);
      req.onerror = () => rej(req.error);
    });
    db.close();
    return keys.map(String);
  });
}

/** One record of the lab's datasets store, or undefined; byte records come back as plain numbers. */
function readDatasetStore(page: Page, key: string): Promise<unknown> {
  return page.evaluate(async (key) => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('clip-lab-datasets');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const value = await new Promise<unknown>((res, rej) => {
      const req = db.transaction('kv').objectStore('kv').get(key);
      req.onsuccess = () => res(req.result);
      req.onerror = () => rej(req.error);
    });
    db.close();
    return value instanceof Uint8Array ? { bytes: Array.from(value) } : { value };
  }, key);
}

/** One JSON-serialisable record of the lab's datasets store, or undefined. */
export async function datasetStoreGet<T>(page: Page, key: string): Promise<T | undefined> {
  return ((await readDatasetStore(page, key)) as { value?: T }).value;
}

/** A byte record (e.g. stored pixels) of the lab's datasets store as plain numbers, or null. */
export async function datasetStoreBytes(page: Page, key: string): Promise<number[] | null> {
  return ((await readDatasetStore(page, key)) as { bytes?: number[] }).bytes ?? null;
}

/** tsx (esbuild keepNames) wraps named functions in __name(): give evaluated code one. */
export const NAME_SHIM = 'globalThis.__name ??= (f) => f';

/**
 * The stored square copy of image `index` of dataset `id` as plain numbers, or null: from its batch's
 * pixel record (format 3, `pxb:<id>:<first image>`) or its own (formats 1-2, `px:<id>:<index>`).
 */
export async function datasetStorePixels(page: Page, id: string, index: number): Promise<number[] | null> {
  await page.evaluate(NAME_SHIM);
  return page.evaluate(
    async ({ id, index }) => {
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
      const kv = db.transaction('kv').objectStore('kv');
      const meta = await ask<{ version: number; imageSize: number } | undefined>(kv.get(`meta:${id}`));
      const per = (meta?.imageSize ?? 0) ** 2 * 3;
      let bytes: Uint8Array | undefined;
      if (meta && meta.version >= 3) {
        const starts = (await ask(kv.getAllKeys(IDBKeyRange.bound(`pxb:${id}:`, `pxb:${id}:\uffff`)))).map((k) => String(k));
        const key = starts.filter((k) => Number(k.split(':')[2]) <= index).at(-1);
        const batch = key ? await ask<Uint8Array | undefined>(kv.get(key)) : undefined;
        const from = key ? (index - Number(key.split(':')[2])) * per : 0;
        bytes = batch?.subarray(from, from + per);
      } else if (meta) bytes = await ask<Uint8Array | undefined>(kv.get(`px:${id}:${index}`));
      db.close();
      return bytes && bytes.length === per ? Array.from(bytes) : null;
    },
    { id, index },
  );
}

/** Byte length of every stored byte record whose key starts with `prefix`, by key. */
export function datasetStoreByteLengths(page: Page, prefix: string): Promise<Record<string, number>> {
  return page.evaluate(async (prefix) => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('clip-lab-datasets');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const out: Record<string, number> = {};
    await new Promise<void>((res, rej) => {
      const req = db
        .transaction('kv')
        .objectStore('kv')
        .openCursor(IDBKeyRange.bound(prefix, `${prefix}\uffff`));
      req.onsuccess = () => {
        const c = req.result;
        if (!c) return res();
        if (c.value instanceof Uint8Array) out[String(c.key)] = c.value.byteLength;
        c.continue();
      };
      req.onerror = () => rej(req.error);
    });
    db.close();
    return out;
  }, prefix);
}

/** One axe-core violation, reduced to what a failing test should print. */
export interface A11yViolation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core (WCAG 2.x A/AA rules) on the page as it is now; returns the serious and critical
 * violations. axe's source is evaluated through the DevTools protocol, so the page's CSP (which
 * allows no inline script) does not block it, and nothing is added to the app.
 */
export async function a11yViolations(page: Page, include?: string): Promise<A11yViolation[]> {
  const { source } = await import('axe-core');
  await page.evaluate(source);
  return page.evaluate(async (include) => {
    const axe = (
      window as unknown as {
        axe: {
          run: (
            ctx: unknown,
            opts: unknown,
          ) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run(include ? { include: [include] } : document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact ?? '',
        help: v.help,
        targets: v.nodes.slice(0, 5).map((n) => n.target.map(String).join(' ')),
      }));
  }, include);
}

/** Document width minus viewport width: > 0 means the page scrolls sideways. */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Opens the Train form's "Advanced" section (a closed <details>) if it is closed. */
export async function showAdvancedSettings(page: Page): Promise<void> {
  const details = page.getByTestId('train-advanced');
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await details.locator('summary').click();
}

export interface TinyRun {
  epochs?: number;
  checkpointEverySteps?: number;
  maxEvalImages?: number;
  backend?: 'auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';
}

/** The steps every training test repeats: load the built-in sample → Train tab → tiny → Train. */
export async function trainTinyOnSample(page: Page, run: TinyRun = {}): Promise<void> {
  await page.getByTestId('load-sample').click();
  await waitForText(page, 'report-images', /^2,000$/, 120_000);
  await page.getByTestId('tab-train').click();
  await page.getByTestId('train-preset').selectOption('tiny');
  if (run.epochs !== undefined) await page.getByTestId('train-epochs').fill(String(run.epochs));
  if (run.checkpointEverySteps !== undefined || run.maxEvalImages !== undefined) await showAdvancedSettings(page);
  if (run.checkpointEverySteps !== undefined) await page.getByTestId('train-checkpointEverySteps').fill(String(run.checkpointEverySteps));
  if (run.maxEvalImages !== undefined) await page.getByTestId('train-maxEvalImages').fill(String(run.maxEvalImages));
  if (run.backend) await page.getByTestId('train-backend').selectOption(run.backend);
  await page.getByTestId('train-start').click();
}

/**
 * Presses Tab (or Shift+Tab; up to `maxPresses` times) until the focused element has data-testid `testId`, as a
 * keyboard user would; throws naming the last element focused if it is never reached.
 */
export async function tabTo(page: Page, testId: string, maxPresses = 80, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<void> {
  const focused = () =>
    page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el?.dataset.testid ?? `${el?.tagName.toLowerCase()}${el?.textContent ? ` "${el.textContent.slice(0, 30)}"` : ''}`;
    });
  for (let i = 0; i < maxPresses; i++) {
    if ((await focused()) === testId) return;
    await page.keyboard.press(key);
  }
  throw new Error(`${key} never reached [data-testid=${testId}] in ${maxPresses} presses; focus is on ${await focused()}`);
}
