// The backbone download against a fake fetch serving a tiny generated layers model under a
// storage.googleapis.com-like URL: model.json alone first (size from the manifest), then shards
// with byte progress; offline, HTTP errors, a foreign or truncated file, a path leaving the
// origin and cancel each end in a typed error that says what was expected and found.
import { beforeAll, describe, expect, it } from 'vitest';
import { DownloadError, downloadFiles, planDownload } from '../../../src/io/backboneDownload';
import { BackboneError, type BackboneFile } from '../../../src/model/backbone';
import type { BackboneSource } from '../../../src/model/backboneSources';
import { tinyNoTopFiles } from '../../fixtures/tinyBackbone';

const DIR = 'https://storage.example.com/models/tiny/';
const SOURCE: BackboneSource = {
  id: 'tiny',
  name: 'Tiny',
  url: `${DIR}model.json`,
  inputSize: 16,
  range: '-1,1',
  pooling: 'global-average',
};

type Routes = Map<string, () => Response>;

/** A fetch that answers from `routes` (404 otherwise) and records every URL asked for. */
function fakeFetch(routes: Routes, asked: string[] = []): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    asked.push(url);
    if (init?.signal?.aborted) throw new DOMException('aborted', 'AbortError');
    const route = routes.get(url);
    return route ? route() : new Response('Not Found', { status: 404, statusText: 'Not Found' });
  }) as typeof fetch;
}

/** A body streamed in chunks of `chunk` bytes. */
const streamed = (bytes: Uint8Array, chunk = 1000) =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += chunk) c.enqueue(bytes.slice(i, i + chunk));
        c.close();
      },
    }),
  );

let files: BackboneFile[];
let routes: Routes;
beforeAll(async () => {
  const made = await tinyNoTopFiles();
  made.model.dispose();
  files = made.files;
  // The manifest names './weights.bin': it resolves under the model.json's folder.
  routes = new Map([
    [`${DIR}model.json`, () => new Response(files[0].bytes.slice().buffer as ArrayBuffer)],
    [`${DIR}weights.bin`, () => streamed(files[1].bytes)],
  ]);
});

describe('planDownload then downloadFiles', () => {
  it('fetches model.json alone, sizes the weights exactly, then the shards with byte progress', async () => {
    const asked: string[] = [];
    const plan = await planDownload(SOURCE, { fetch: fakeFetch(routes, asked) });
    expect(asked).toEqual([`${DIR}model.json`]);
    expect(plan.origin).toBe('https://storage.example.com');
    expect(plan.weightBytes).toBe(files[1].bytes.length);
    expect(plan.shards).toEqual([{ name: 'weights.bin', url: `${DIR}weights.bin` }]);

    const seen: [number, number][] = [];
    const got = await downloadFiles(plan, (r, t) => seen.push([r, t]), { fetch: fakeFetch(routes, asked) });
    expect(asked).toEqual([`${DIR}model.json`, `${DIR}weights.bin`]);
    expect(got.map((f) => [f.name, f.bytes.length])).toEqual(files.map((f) => [f.name, f.bytes.length]));
    expect(seen[0]).toEqual([0, plan.weightBytes]);
    expect(seen.at(-1)).toEqual([plan.weightBytes, plan.weightBytes]);
    expect(seen.length).toBeGreaterThan(3); // streamed in chunks
    expect(seen.every(([r], i) => i === 0 || r > seen[i - 1][0])).toBe(true);
  });

  const withRoute = (url: string, answer: () => Response) => new Map([...routes, [url, answer]]);
  it.each<[string, () => Routes, string, RegExp]>([
    [
      'a 404 model.json',
      () => withRoute(`${DIR}model.json`, () => new Response('', { status: 404, statusText: 'Not Found' })),
      'http',
      /expected HTTP 200, found 404 Not Found/,
    ],
    [
      'an HTML page for model.json',
      () => withRoute(`${DIR}model.json`, () => new Response('<html>sign in</html>')),
      'bad-model-json',
      /expected JSON/,
    ],
    [
      'JSON that is no model',
      () => withRoute(`${DIR}model.json`, () => new Response('{"a":1}')),
      'bad-model-json',
      /expected a TF\.js model\.json/,
    ],
  ])('plan: %s -> %s', async (_, make, code, message) => {
    const err = await planDownload(SOURCE, { fetch: fakeFetch(make()) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(message);
  });

  it('plan: offline -> DownloadError offline naming the origin', async () => {
    const offline = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    const err = await planDownload(SOURCE, { fetch: offline }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err).toMatchObject({ code: 'offline', message: /could not reach https:\/\/storage\.example\.com/ });
  });

  it('plan: a weight path that leaves the origin is refused before anything else is fetched', async () => {
    const json = JSON.parse(new TextDecoder().decode(files[0].bytes));
    json.weightsManifest[0].paths = ['https://elsewhere.example/w.bin'];
    const asked: string[] = [];
    const r = withRoute(`${DIR}model.json`, () => new Response(JSON.stringify(json)));
    const err = await planDownload(SOURCE, { fetch: fakeFetch(r, asked) }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'foreign-path',
      message: /expected a file under https:\/\/storage\.example\.com, found https:\/\/elsewhere\.example/,
    });
    expect(asked).toHaveLength(1);
  });

  it.each<[string, () => Response, string, RegExp]>([
    ['a truncated shard', () => streamed(files[1].bytes.slice(0, -100)), 'truncated', /expected \d+ bytes of weights, found \d+/],
    [
      'a 403 shard',
      () => new Response('denied', { status: 403, statusText: 'Forbidden' }),
      'http',
      /weights\.bin: expected HTTP 200, found 403 Forbidden/,
    ],
  ])('download: %s -> %s', async (_, answer, code, message) => {
    const plan = await planDownload(SOURCE, { fetch: fakeFetch(routes) });
    const err = await downloadFiles(plan, () => {}, { fetch: fakeFetch(withRoute(`${DIR}weights.bin`, answer)) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code, message });
    if (code === 'truncated') expect(err).toBeInstanceOf(BackboneError);
  });

  it('download: cancel mid-stream -> DownloadError cancelled', async () => {
    const plan = await planDownload(SOURCE, { fetch: fakeFetch(routes) });
    const abort = new AbortController();
    const err = await downloadFiles(plan, (r) => r > 2000 && abort.abort(), { fetch: fakeFetch(routes), signal: abort.signal }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'cancelled' });
  });
});
