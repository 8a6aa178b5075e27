// The page's Content-Security-Policy and the headers a static host should send, in one place:
// vite.config.ts writes them into the built index.html (<meta>), dist/_headers and
// dist/nginx-headers.conf. No network but this origin and the downloadable backbones' origins
// (model/backboneSources.ts: fetched only when the user clicks Download), no eval.
import { backboneOrigins } from './model/backboneSources.ts';

/** connect-src: this origin, blob:/data: URLs, and exactly the backbone download origins. */
export const CONNECT_SRC: readonly string[] = ["'self'", 'blob:', 'data:', ...backboneOrigins()];

/** The policy as a <meta> tag can carry it (no frame-ancestors there). */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "img-src 'self' blob: data:",
  "style-src 'self' 'unsafe-inline'",
  `connect-src ${CONNECT_SRC.join(' ')}`,
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Cross-origin isolation (SharedArrayBuffer, multithreaded wasm): dev, preview and hosts alike. */
export const ISOLATION_HEADERS: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** What a static host should send with every file; frame-ancestors works only as a header. */
export const HOST_HEADERS: Record<string, string> = {
  ...ISOLATION_HEADERS,
  'Content-Security-Policy': `${CSP}; frame-ancestors 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** The value of `directive` in a policy string, as a list of sources. */
export function directiveSources(policy: string, directive: string): string[] {
  const found = policy
    .split(';')
    .map((d) => d.trim().split(/\s+/))
    .find(([name]) => name === directive);
  return found ? found.slice(1) : [];
}
