// Builds the backend-parity test page with the app's own Vite setup (CSP, workers, COOP/COEP).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import app from '../../../../vite.config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  ...app,
  root: here('.'),
  base: './',
  build: { ...app.build, outDir: here('../../../../dist-test/parity'), emptyOutDir: true, sourcemap: false },
  logLevel: 'warn',
});
