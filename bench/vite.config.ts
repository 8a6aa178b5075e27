// Builds the benchmark page (bench/page) into bench/tmp/ with the app's own Vite setup: the same
// plugins (CSP included), ES-module workers and COOP/COEP headers (threaded wasm needs them). Not
// minified: in a minified build threaded wasm threw `ReferenceError: e is not defined` in its
// worker and setBackend('wasm') hung (TF.js 4.22, Chromium). CLIP_BENCH_VARIANT=
// no-csp drops the CSP plugin, to measure threaded wasm, whose workers load blob: scripts.
import { fileURLToPath } from 'node:url';
import { defineConfig, type PluginOption } from 'vite';
import app from '../vite.config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const noCsp = process.env.CLIP_BENCH_VARIANT === 'no-csp';
const plugins = (app.plugins ?? [])
  .flat()
  .filter((p) => !(noCsp && p && typeof p === 'object' && 'name' in p && p.name === 'clip-lab-csp'));

export default defineConfig({
  ...app,
  plugins: plugins as PluginOption[],
  root: here('./page'),
  base: './',
  build: { ...app.build, outDir: here(noCsp ? './tmp/dist-no-csp' : './tmp/dist'), emptyOutDir: true, minify: false, sourcemap: false },
  logLevel: 'warn',
});
