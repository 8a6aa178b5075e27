// Downloads a pretrained backbone's files from its public URL (model/backboneSources.ts), in two
// steps the page runs only on the user's clicks: plan (fetch model.json alone, size the weights
// from its manifest: shapes × dtype bytes) and download (the weight shards, streamed with byte
// progress and a cancel signal). The result is a file set checked like dropped files (readFileSet:
// a foreign or truncated file is refused), ready to store by SHA-256. No DOM; `fetch` is injectable.
import { LabError } from '../errors';
import { manifestBytes, parseModelJson, readFileSet, type BackboneFile } from '../model/backbone';
import type { BackboneSource } from '../model/backboneSources';

export type DownloadErrorCode = 'offline' | 'http' | 'foreign-path' | 'cancelled';

export class DownloadError extends LabError<DownloadErrorCode> {
  override readonly name = 'DownloadError';
}

export interface DownloadOptions {
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
}

/** What a download will fetch: model.json (already fetched) and its shards, with their exact size. */
export interface DownloadPlan {
  source: Readonly<BackboneSource>;
  origin: string; // e.g. https://storage.googleapis.com
  modelJson: BackboneFile; // as fetched: its bytes are part of the backbone's SHA-256
  shards: { name: string; url: string }[]; // manifest order
  weightBytes: number; // shards together, from the manifest
}

const baseName = (path: string) => path.split('/').pop() ?? path;

/** fetch with the lab's errors: DownloadError offline / cancelled / http (expected 200). */
async function get(url: string, opts: DownloadOptions): Promise<Response> {
  const origin = new URL(url).origin;
  let res: Response;
  try {
    res = await (opts.fetch ?? globalThis.fetch)(url, { signal: opts.signal, credentials: 'omit', mode: 'cors' });
  } catch (err) {
    if (opts.signal?.aborted) throw new DownloadError('cancelled', 'download cancelled');
    throw new DownloadError(
      'offline',
      `could not reach ${origin}: expected a response, found a network error (offline?): ${(err as Error).message}`,
    );
  }
  if (!res.ok) throw new DownloadError('http', `${url}: expected HTTP 200, found ${res.status} ${res.statusText}`.trim());
  return res;
}

/** The response's body, read in chunks; `onBytes(n)` after each chunk of n bytes. */
async function readBody(res: Response, url: string, opts: DownloadOptions, onBytes: (n: number) => void): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  try {
    if (!res.body) {
      const all = new Uint8Array(await res.arrayBuffer());
      onBytes(all.length);
      return all;
    }
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      onBytes(value.length);
      if (opts.signal?.aborted) {
        void reader.cancel();
        break;
      }
    }
  } catch (err) {
    if (opts.signal?.aborted) throw new DownloadError('cancelled', 'download cancelled');
    throw new DownloadError('offline', `${url}: the download broke off: ${(err as Error).message}`);
  }
  if (opts.signal?.aborted) throw new DownloadError('cancelled', 'download cancelled');
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Fetches model.json only and sizes the download from its weights manifest. Refuses a file that is
 * not a TF.js model.json (BackboneError bad-model-json) and shard paths that leave the origin.
 */
export async function planDownload(source: Readonly<BackboneSource>, opts: DownloadOptions = {}): Promise<DownloadPlan> {
  const origin = new URL(source.url).origin;
  const res = await get(source.url, opts);
  const bytes = await readBody(res, source.url, opts, () => {});
  const json = parseModelJson(bytes, source.url);
  const groups = json.weightsManifest!;
  const weightBytes = manifestBytes(groups).reduce((a, b) => a + b, 0);
  const shards = groups.flatMap((g) =>
    g.paths.map((p) => {
      const url = new URL(p, source.url);
      if (url.origin !== origin) {
        throw new DownloadError('foreign-path', `model.json weight path '${p}': expected a file under ${origin}, found ${url.origin}`);
      }
      return { name: baseName(url.pathname), url: url.href };
    }),
  );
  return { source, origin, modelJson: { name: 'model.json', bytes }, shards, weightBytes };
}

/**
 * Fetches the plan's shards in order, reporting bytes received of `plan.weightBytes`; returns the
 * file set (model.json first) once readFileSet accepts it: every shard present, byte counts exact.
 */
export async function downloadFiles(
  plan: DownloadPlan,
  onProgress: (received: number, total: number) => void,
  opts: DownloadOptions = {},
): Promise<BackboneFile[]> {
  let received = 0;
  onProgress(0, plan.weightBytes);
  const files: BackboneFile[] = [plan.modelJson];
  for (const shard of plan.shards) {
    const res = await get(shard.url, opts);
    const bytes = await readBody(res, shard.url, opts, (n) => {
      received += n;
      onProgress(received, plan.weightBytes);
    });
    files.push({ name: shard.name, bytes });
  }
  readFileSet(files); // throws BackboneError: truncated / missing-file
  return files;
}
