// Vite config: React, ES-module workers, cross-origin isolation (COOP/COEP) so that
// SharedArrayBuffer — and with it multithreaded wasm — is available in dev and preview alike,
// and a strict Content-Security-Policy in the built page: no network but this origin, no eval.
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// connect-src 'self': the data never leaves the machine; the page can fetch only its own files.
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "img-src 'self' blob: data:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self' blob: data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Injects the CSP meta tag into the production build only (dev needs Vite's inline preamble). */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'clip-lab-csp',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' },
    ],
  };
}

export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
  worker: { format: 'es' },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 4000 },
});
