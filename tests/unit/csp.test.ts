// The page's CSP: connect-src is this origin, blob:/data: and exactly the backbone download origin
// (storage.googleapis.com, taken from the one MobileNet constant); the other directives stay shut.
import { describe, expect, it } from 'vitest';
import { CONNECT_SRC, CSP, directiveSources, HOST_HEADERS } from '../../src/csp';
import { MOBILENET_V2_IMAGENET } from '../../src/model/backboneSources';

describe('Content-Security-Policy', () => {
  it.each([
    ['the <meta> policy', CSP],
    ['the host header', HOST_HEADERS['Content-Security-Policy']],
  ])('%s: connect-src is self, blob:, data: and https://storage.googleapis.com only', (_, policy) => {
    expect(directiveSources(policy, 'connect-src')).toEqual(["'self'", 'blob:', 'data:', 'https://storage.googleapis.com']);
  });

  it("the allowed origin is the MobileNet URL's own, with no path or wildcard", () => {
    expect(CONNECT_SRC).toContain(new URL(MOBILENET_V2_IMAGENET.url).origin);
    expect(CONNECT_SRC.filter((s) => s.startsWith('http'))).toEqual(['https://storage.googleapis.com']);
    expect(CSP).not.toMatch(/\*/);
  });

  it.each([
    ['default-src', ["'self'"]],
    ['script-src', ["'self'", "'wasm-unsafe-eval'"]],
    ['object-src', ["'none'"]],
  ])('%s stays %j', (directive, sources) => {
    expect(directiveSources(CSP, directive)).toEqual(sources);
  });

  it("the host header adds frame-ancestors 'none'", () => {
    expect(directiveSources(HOST_HEADERS['Content-Security-Policy'], 'frame-ancestors')).toEqual(["'none'"]);
    expect(directiveSources(CSP, 'frame-ancestors')).toEqual([]);
  });
});
