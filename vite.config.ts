// Vite config: React, ES-module workers, cross-origin isolation (COOP/COEP) so that
// SharedArrayBuffer — and with it multithreaded wasm — is available in dev and preview alike,
// and a strict Content-Security-Policy in the built page (src/csp.ts, the one source: no network
// but this origin and the backbone download origin, no eval). The build also writes the same
// headers for a static host: dist/_headers (Netlify, Cloudflare Pages) and dist/nginx-headers.conf
// (nginx `include`), with frame-ancestors, which a <meta> CSP cannot carry. Source maps only with SOURCEMAP=1 (they are 17 MB).
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { CSP, HOST_HEADERS, ISOLATION_HEADERS as isolationHeaders } from './src/csp.ts';

/**
 * Injects the CSP meta tag into the production build only (dev needs Vite's inline preamble),
 * and writes the host header files beside index.html.
 */
function contentSecurityPolicy(): Plugin {
  const lines = Object.entries(HOST_HEADERS);
  return {
    name: 'clip-lab-csp',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' }],
    generateBundle() {
      const netlify = ['/*', ...lines.map(([k, v]) => `  ${k}: ${v}`)].join('\n');
      const nginx = [
        '# include inside the server or location block that serves dist/',
        ...lines.map(([k, v]) => `add_header ${k} "${v}" always;`),
      ].join('\n');
      this.emitFile({ type: 'asset', fileName: '_headers', source: `${netlify}\n` });
      this.emitFile({ type: 'asset', fileName: 'nginx-headers.conf', source: `${nginx}\n` });
    },
  };
}

export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
  worker: { format: 'es' },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  build: { target: 'es2022', sourcemap: process.env.SOURCEMAP === '1', chunkSizeWarningLimit: 4000 },
});
