// JPEG decoding in WebAssembly (libjpeg-turbo's decompressor, built by build.sh and embedded as
// jpegDecode.wasm.ts), with the decode and the downscale in one step: the IDCT runs at the
// smallest scale M/8 whose short side still reaches the caller's target. The same module runs in
// the browser's workers and in Node, so both get the same pixels. Pure: no DOM.
import { LabError } from '../../errors';
import { JPEG_DECODE_WASM } from './jpegDecode.wasm';

export type JpegDecodeErrorCode = 'corrupt' | 'unavailable';

export class JpegDecodeError extends LabError<JpegDecodeErrorCode> {
  override readonly name = 'JpegDecodeError';
}

/** An RGB image [height, width, 3] decoded at scale/8 of the file's width×height. */
export interface JpegPixels {
  width: number;
  height: number;
  data: Uint8Array;
  fileWidth: number;
  fileHeight: number;
  scale: number; // M of M/8
  warnings: number; // libjpeg warnings: corrupt data it skipped or filled (e.g. a truncated scan)
}

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  jw_info(): number;
  jw_malloc(n: number): number;
  jw_free(p: number): void;
  jw_decode(data: number, len: number, targetShort: number): number;
  jw_decode_square(data: number, len: number, size: number): number;
  jw_idct_mismatches(seed: number, blocks: number): number;
  jw_colour_mismatches(): number;
}

/** Thrown by the module's jpeg_fail import: libjpeg's own error message and code. */
class Failure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const KEEP_MEMORY_BYTES = 64 * 2 ** 20;

let compiled: WebAssembly.Module | undefined;
let compileError: Error | undefined; // kept: a browser without WebAssembly SIMD fails alike each time
let instance: Exports | undefined;

const wasmBytes = () => Uint8Array.from(atob(JPEG_DECODE_WASM), (c) => c.charCodeAt(0));

/**
 * Compiles the module ahead, asynchronously (a browser's main thread refuses sync compiles over
 * 4 KB). Resolves to whether it compiled; never rejects (decoding then says 'unavailable').
 */
export async function precompileJpegDecoder(): Promise<boolean> {
  if (!compiled && !compileError) {
    compiled = await WebAssembly.compile(wasmBytes()).catch((err: Error) => {
      compileError = err;
      return undefined;
    });
  }
  return compiled !== undefined;
}

function instantiate(): Exports {
  if (compileError) throw compileError;
  try {
    compiled ??= new WebAssembly.Module(wasmBytes());
  } catch (err) {
    compileError = err as Error;
    throw err;
  }
  let exports: Exports | undefined;
  const text = (p: number) => {
    const bytes = new Uint8Array(exports!.memory.buffer, p);
    return new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)));
  };
  const unsupported = () => 52; // WASI ENOSYS: libjpeg's stderr output is never called (quiet_output)
  const imports = {
    env: {
      jpeg_fail: (code: number, message: number) => {
        throw new Failure(code, text(message));
      },
    },
    wasi_snapshot_preview1: {
      fd_close: unsupported,
      fd_seek: unsupported,
      fd_write: unsupported,
      proc_exit: (code: number) => {
        throw new Failure(-1, `the JPEG decoder exited (${code})`);
      },
    },
  };
  exports = new WebAssembly.Instance(compiled, imports).exports as unknown as Exports;
  exports._initialize();
  return exports;
}

function loaded(): Exports {
  try {
    return (instance ??= instantiate());
  } catch (err) {
    throw new JpegDecodeError('unavailable', `the WebAssembly JPEG decoder could not load (${(err as Error).message})`);
  }
}

/**
 * How many of `blocks` seeded random coefficient blocks the module's SIMD IDCTs (jsimd_wasm.c)
 * turn into other bytes than libjpeg-turbo's C IDCTs (for tests: 0 expected).
 */
export function simdIdctMismatches(seed: number, blocks: number): number {
  return loaded().jw_idct_mismatches(seed, blocks);
}

/** How many output bytes of the SIMD YCbCr->RGB differ from libjpeg-turbo's C one over every (Y, Cb, Cr) (for tests: 0 expected). */
export function simdColourMismatches(): number {
  return loaded().jw_colour_mismatches();
}

/** Runs one of the module's decoders on `bytes`; returns its output's bytes and jw_info(). */
function run(bytes: Uint8Array, decode: (w: Exports, at: number) => number, outBytes: (info: Int32Array) => number) {
  const wasm = loaded();
  const input = wasm.jw_malloc(bytes.length);
  if (!input) throw new JpegDecodeError('corrupt', `no memory for ${bytes.length} bytes of JPEG data`);
  new Uint8Array(wasm.memory.buffer, input, bytes.length).set(bytes);
  let out: number;
  try {
    out = decode(wasm, input);
  } catch (err) {
    instance = undefined;
    if (!(err instanceof Failure)) throw err;
    throw new JpegDecodeError('corrupt', `libjpeg-turbo could not decode the JPEG data: ${err.message} (error ${err.code})`);
  }
  const info = new Int32Array(wasm.memory.buffer, wasm.jw_info(), 7).slice();
  const data = new Uint8Array(wasm.memory.buffer, out, outBytes(info)).slice();
  wasm.jw_free(out);
  wasm.jw_free(input);
  // A wasm memory never shrinks: after a very large image, let this one go with its instance.
  if (wasm.memory.buffer.byteLength > KEEP_MEMORY_BYTES) instance = undefined;
  return { data, info };
}

/**
 * Decodes a JPEG to RGB at the smallest scale M/8 (M = 1..8) whose short side is at least
 * `targetShortSide` (0: full size), as stored in the file (no EXIF orientation). Throws
 * JpegDecodeError with libjpeg's message for data it cannot decode; the instance is then
 * discarded (its stack and heap are not unwound), so the next call starts clean.
 */
export function decodeJpeg(bytes: Uint8Array, targetShortSide = 0): JpegPixels {
  const { data, info } = run(
    bytes,
    (w, at) => w.jw_decode(at, bytes.length, targetShortSide),
    (i) => i[0] * i[1] * 3,
  );
  const [width, height, fileWidth, fileHeight, scale, warnings] = info;
  return { width, height, data, fileWidth, fileHeight, scale, warnings };
}

/**
 * decodeJpeg at the smallest scale that reaches `size`, then the centre square resampled to
 * size×size in the module, with the same taps and rounding as rgb.ts centreCropResize (equal
 * bytes: tests/unit/jpegWasm.test.ts). Orientation is not applied: the centre square of an
 * upright image is the upright centre square, so the caller rotates the small square.
 */
export function decodeJpegSquare(bytes: Uint8Array, size: number): JpegPixels {
  const { data, info } = run(
    bytes,
    (w, at) => w.jw_decode_square(at, bytes.length, size),
    () => size * size * 3,
  );
  const [, , fileWidth, fileHeight, scale, warnings] = info;
  return { width: size, height: size, data, fileWidth, fileHeight, scale, warnings };
}
