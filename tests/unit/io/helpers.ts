// Test helpers for the safetensors tests: an independent minimal reader written from the published
// format rules (not from src/io), and a builder of raw files from a header and data bytes.

export interface ReferenceTensor {
  dtype: string;
  shape: number[];
  offsets: [number, number];
  values: number[];
}

/**
 * Reads a safetensors file the way the format description puts it: u64 little-endian header
 * length N, N bytes of JSON, then the data buffer that data_offsets index into.
 */
export function referenceRead(bytes: Uint8Array): {
  headerLength: number;
  metadata: Record<string, string>;
  tensors: Map<string, ReferenceTensor>;
} {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, ReferenceTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [begin, end] = data_offsets;
    const values: number[] = [];
    for (let at = dataStart + begin; at < dataStart + end; ) {
      if (dtype === 'F32') values.push(view.getFloat32(at, true));
      else if (dtype === 'I32') values.push(view.getInt32(at, true));
      else if (dtype === 'U8') values.push(view.getUint8(at));
      else throw new Error(`reference reader: dtype ${dtype} not handled`);
      at += dtype === 'U8' ? 1 : 4;
    }
    tensors.set(name, { dtype, shape, offsets: [begin, end], values });
  }
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  return { headerLength, metadata, tensors };
}

/**
 * A file from a header (JSON text, or an object to stringify) and data bytes. The length prefix
 * is the header's UTF-8 length unless `declaredLength` (a bigint, for absurd values) says otherwise.
 */
export function buildFile(header: string | object, data: ArrayLike<number> = [], declaredLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(Array.from(data), 8 + json.length);
  return out;
}

/** Little-endian bytes of float32 values. */
export function f32Bytes(...values: number[]): number[] {
  return Array.from(new Uint8Array(new Float32Array(values).buffer));
}
