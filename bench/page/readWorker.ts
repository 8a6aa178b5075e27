// The benchmark page's file-read worker (bench/jpeg-scaled.ts, issue 11 item 4): holds chosen
// Files (file-backed, as an import's are) and reads them one at a time the way a decode worker
// could, optionally decoding each with the wasm JPEG decoder (this one or main's), so that the read's CPU can be told
// apart from the decode's.
import { decodeJpegSquare, precompileJpegDecoder } from '../../src/data/jpeg/jpegWasm';
import { loadSquareDecoder } from '../lib/jpegModule';

export type ReadMethod = 'arrayBuffer' | 'readerSync';
export type ReadRequest =
  | { files: File[]; beforeModule: string }
  | { method: ReadMethod; decode: false | 'now' | 'before'; size: number; check: boolean };

// Workers have FileReaderSync; the DOM typings this project compiles against do not declare it.
declare const FileReaderSync: { new (): { readAsArrayBuffer(blob: Blob): ArrayBuffer } };

let files: File[] = [];
let before: ((bytes: Uint8Array, size: number) => Uint8Array) | undefined; // main's module (bench/jpeg-scaled.ts)

async function read(file: File, method: ReadMethod): Promise<Uint8Array> {
  if (method === 'readerSync') return new Uint8Array(new FileReaderSync().readAsArrayBuffer(file));
  return new Uint8Array(await file.arrayBuffer());
}

function sum(data: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i];
  return s;
}

self.onmessage = async (e: MessageEvent<ReadRequest>) => {
  try {
    if ('files' in e.data) {
      files = e.data.files;
      before = await loadSquareDecoder(Uint8Array.from(atob(e.data.beforeModule), (c) => c.charCodeAt(0)));
      await precompileJpegDecoder();
      self.postMessage({ n: files.length });
      return;
    }
    const { method, decode, size, check } = e.data;
    const sums: number[] = []; // per file, when `check`: its bytes' count, or its decoded pixels summed
    const t0 = performance.now();
    for (const f of files) {
      const bytes = await read(f, method);
      const data = decode === 'now' ? decodeJpegSquare(bytes, size).data : decode === 'before' ? before!(bytes, size) : bytes;
      if (check) sums.push(decode ? sum(data) : data.length);
    }
    self.postMessage({ ms: (performance.now() - t0) / files.length, sums });
  } catch (err) {
    self.postMessage({ error: String(err) });
  }
};
