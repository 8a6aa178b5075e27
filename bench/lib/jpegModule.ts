// Another build of the wasm JPEG module (src/data/jpeg), e.g. main's, behind jw_decode_square, so
// bench/jpeg-scaled.ts can time old and new builds interleaved in one run (page and Node).

/** Instantiates module bytes; resolves to its decode-and-resample-to-size×size, as the lab's. */
export async function loadSquareDecoder(wasm: Uint8Array<ArrayBuffer>): Promise<(jpeg: Uint8Array, size: number) => Uint8Array> {
  const unsupported = () => 52;
  const fail = () => {
    throw new Error('the JPEG module failed');
  };
  const { instance } = await WebAssembly.instantiate(wasm, {
    env: { jpeg_fail: fail },
    wasi_snapshot_preview1: { fd_close: unsupported, fd_seek: unsupported, fd_write: unsupported, proc_exit: fail },
  });
  const w = instance.exports as unknown as Record<string, (...a: number[]) => number> & { memory: WebAssembly.Memory };
  w._initialize();
  return (bytes, size) => {
    const at = w.jw_malloc(bytes.length);
    new Uint8Array(w.memory.buffer, at, bytes.length).set(bytes);
    const out = w.jw_decode_square(at, bytes.length, size);
    const data = new Uint8Array(w.memory.buffer, out, size * size * 3).slice();
    w.jw_free(out);
    w.jw_free(at);
    return data;
  };
}
