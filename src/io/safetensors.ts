// Strict reader and writer for the safetensors layout (u64 LE header length, JSON header padded to
// 8 bytes, raw little-endian tensor bytes) in plain TypeScript: no TF.js, no DOM, Node or browser.
import { ModelFileError, type ModelFileErrorCode } from './errors';

/** Every dtype name the safetensors format defines. Only F32, I32, U8 (and F16, widened) are readable. */
export const SAFE_DTYPES = [
  'BOOL',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'F64',
  'I64',
  'U64',
  'C64',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
] as const;
export type SafeDtype = (typeof SAFE_DTYPES)[number];
export type TensorDtype = 'F32' | 'I32' | 'U8';

export interface SafeTensor {
  name: string;
  dtype: TensorDtype;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

export interface ReadLimits {
  maxFileBytes: number;
  maxHeaderBytes: number;
  maxTensors: number;
}

export const DEFAULT_READ_LIMITS: Readonly<ReadLimits> = Object.freeze({
  maxFileBytes: 2 ** 30, // 1 GiB
  maxHeaderBytes: 16 * 2 ** 20, // 16 MiB
  maxTensors: 10_000,
});

const PREFIX_BYTES = 8; // u64 header length
const HEADER_ALIGN = 8; // header padded with spaces so the data section starts 8-aligned
const METADATA_KEY = '__metadata__';
const TWO_POW_32 = 2 ** 32;
const MAX_SAFE_HIGH_WORD = 2 ** 21; // high u32 word at or above this means length >= 2^53
/** Bytes per element of the dtypes this module turns into typed arrays. */
const ELEMENT_BYTES = { F32: 4, I32: 4, U8: 1, F16: 2 } as const;
type ReadableDtype = keyof typeof ELEMENT_BYTES;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fail(code: ModelFileErrorCode, message: string): never {
  throw new ModelFileError(code, message);
}

// ---------------------------------------------------------------------------------------- writer

/** Serialises tensors (laid out contiguously in the given order) and string metadata. */
export function writeSafetensors(tensors: SafeTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const entries: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      fail('bad-tensor', `metadata '${key}': expected a string value, found ${typeof value}`);
    }
  }
  if (Object.keys(metadata).length > 0) {
    entries.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }

  const seen = new Set<string>();
  let offset = 0;
  for (const tensor of tensors) {
    checkWritable(tensor, seen);
    const end = offset + tensor.data.byteLength;
    const info = { dtype: tensor.dtype, shape: [...tensor.shape], data_offsets: [offset, end] };
    // Built by hand rather than as one object so integer-like names keep their order.
    entries.push(`${JSON.stringify(tensor.name)}:${JSON.stringify(info)}`);
    offset = end;
  }

  const json = new TextEncoder().encode(`{${entries.join(',')}}`);
  const headerBytes = Math.ceil(json.length / HEADER_ALIGN) * HEADER_ALIGN;
  const out = new Uint8Array(PREFIX_BYTES + headerBytes + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerBytes % TWO_POW_32, true);
  view.setUint32(4, Math.floor(headerBytes / TWO_POW_32), true);
  out.set(json, PREFIX_BYTES);
  out.fill(0x20, PREFIX_BYTES + json.length, PREFIX_BYTES + headerBytes);
  let cursor = PREFIX_BYTES + headerBytes;
  for (const tensor of tensors) {
    writeLittleEndian(out, cursor, tensor.data);
    cursor += tensor.data.byteLength;
  }
  return out;
}

function checkWritable(tensor: SafeTensor, seen: Set<string>): void {
  const { name, dtype, shape, data } = tensor;
  if (typeof name !== 'string' || name === '' || name === METADATA_KEY) {
    fail('bad-tensor', `expected a non-empty tensor name other than '${METADATA_KEY}', found ${JSON.stringify(name)}`);
  }
  if (seen.has(name)) fail('bad-tensor', `tensor '${name}' appears twice; names must be unique`);
  seen.add(name);
  const expected = { F32: Float32Array, I32: Int32Array, U8: Uint8Array }[dtype];
  if (expected === undefined) {
    fail('bad-tensor', `tensor '${name}': expected dtype F32, I32 or U8, found ${String(dtype)}`);
  }
  if (!(data instanceof expected)) {
    fail('bad-tensor', `tensor '${name}': dtype ${dtype} needs a ${expected.name}, found ${describe(data)}`);
  }
  if (!isShape(shape)) {
    fail('bad-tensor', `tensor '${name}': expected a shape of non-negative integers, found ${JSON.stringify(shape)}`);
  }
  const count = elementCount(shape);
  if (count !== data.length) {
    fail('bad-tensor', `tensor '${name}': shape [${shape.join(', ')}] needs ${count} elements, found ${data.length}`);
  }
}

function writeLittleEndian(out: Uint8Array, at: number, data: SafeTensor['data']): void {
  if (LITTLE_ENDIAN_HOST || data instanceof Uint8Array) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + at, data.byteLength);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(i * 4, data[i], true);
    else view.setInt32(i * 4, data[i], true);
  }
}

// ---------------------------------------------------------------------------------------- reader

interface HeaderEntry {
  name: string;
  dtype: ReadableDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses and fully validates a safetensors file. Tensors come back in data order (which is the
 * writer's order) as freshly copied, aligned typed arrays; F16 tensors are widened to F32.
 */
export function readSafetensors(
  bytes: Uint8Array | ArrayBuffer,
  limits: Partial<ReadLimits> = {},
): { tensors: SafeTensor[]; metadata: Record<string, string> } {
  const limit = { ...DEFAULT_READ_LIMITS };
  for (const key of Object.keys(limit) as (keyof ReadLimits)[]) limit[key] = limits[key] ?? limit[key];
  const file = ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);

  if (file.length === 0) fail('empty', 'the file is empty (0 bytes)');
  if (file.length > limit.maxFileBytes) {
    fail('too-large', `the file has ${file.length} bytes but at most ${limit.maxFileBytes} are accepted`);
  }
  if (file.length < PREFIX_BYTES) {
    fail('truncated', `expected at least ${PREFIX_BYTES} bytes for the header length, found ${file.length}`);
  }
  const headerBytes = readHeaderLength(file, limit.maxHeaderBytes);
  const header = file.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes);
  const { entries, metadata } = parseHeader(header, limit.maxTensors);
  const data = file.subarray(PREFIX_BYTES + headerBytes);
  const tensors = checkLayout(entries, data.length).map((e) => decodeTensor(e, data.subarray(e.begin, e.end)));
  return { tensors, metadata };
}

/** Reads the u64 prefix as two u32 words so no huge value is ever allocated or rounded. */
function readHeaderLength(file: Uint8Array, maxHeaderBytes: number): number {
  const view = new DataView(file.buffer, file.byteOffset, PREFIX_BYTES);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const available = file.length - PREFIX_BYTES;
  if (high >= MAX_SAFE_HIGH_WORD) {
    fail('header-too-large', `header declares at least 2^53 bytes but the file has ${available} after the length prefix`);
  }
  const declared = high * TWO_POW_32 + low;
  if (declared > available) {
    fail(
      'header-too-large',
      `header declares ${declared} bytes but the file has ${available} bytes after the length prefix (the file ends early: truncated, or not safetensors)`,
    );
  }
  if (declared > maxHeaderBytes) {
    fail('header-too-large', `header declares ${declared} bytes but at most ${maxHeaderBytes} are accepted`);
  }
  return declared;
}

function parseHeader(raw: Uint8Array, maxTensors: number): { entries: HeaderEntry[]; metadata: Record<string, string> } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    return fail('bad-header', `the ${raw.length}-byte header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) {
    fail('bad-header', `expected the JSON header to start with '{', found ${JSON.stringify(text.slice(0, 16))}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text); // parsed only, never evaluated
  } catch (error) {
    fail('bad-header', `the header is not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(parsed)) return fail('bad-header', `expected the header to be an object, found ${describe(parsed)}`);

  const tensorCount = Object.keys(parsed).length - (METADATA_KEY in parsed ? 1 : 0);
  if (tensorCount > maxTensors) {
    fail('too-large', `the header lists ${tensorCount} tensors but at most ${maxTensors} are accepted`);
  }
  const duplicate = firstDuplicate(topLevelKeys(text));
  if (duplicate !== undefined) {
    fail('bad-header', `the header lists ${JSON.stringify(duplicate)} more than once; names must be unique`);
  }

  const entries: HeaderEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value);
    else entries.push(parseEntry(name, value));
  }
  return { entries, metadata };
}

function parseMetadata(value: unknown): Record<string, string> {
  if (!isRecord(value)) {
    return fail('bad-header', `expected ${METADATA_KEY} to be an object of strings, found ${describe(value)}`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') fail('bad-header', `${METADATA_KEY}.${key}: expected a string, found ${describe(v)}`);
  }
  return Object.fromEntries(Object.entries(value as Record<string, string>)); // own properties only
}

function parseEntry(name: string, value: unknown): HeaderEntry {
  if (name === '') fail('bad-header', 'expected non-empty tensor names, found ""');
  const where = `tensor '${name}'`;
  if (!isRecord(value)) {
    return fail('bad-header', `${where}: expected an object with dtype, shape, data_offsets, found ${describe(value)}`);
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') return fail('bad-header', `${where}: expected a dtype string, found ${describe(dtype)}`);
  if (!isShape(shape)) {
    return fail('bad-header', `${where}: expected a shape of non-negative integers, found ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => typeof o === 'number')) {
    return fail('bad-header', `${where}: expected data_offsets [begin, end], found ${JSON.stringify(offsets)}`);
  }
  if (!(SAFE_DTYPES as readonly string[]).includes(dtype)) {
    const known = SAFE_DTYPES.join(', ');
    fail('unsupported-dtype', `${where}: unknown dtype ${JSON.stringify(dtype)}; expected one of ${known}`);
  }
  if (!(dtype in ELEMENT_BYTES)) {
    // Not "F16 is read": the reader widens F16, but a CLIP Lab model file refuses F16 weights.
    fail('unsupported-dtype', `${where}: dtype ${dtype} is valid safetensors but is not read here; store the weights as F32`);
  }
  const [begin, end] = offsets as number[];
  if (!isIndex(begin) || !isIndex(end) || begin > end) {
    fail('bad-offsets', `${where}: expected integer data_offsets with 0 <= begin <= end, found [${begin}, ${end}]`);
  }
  return { name, dtype: dtype as ReadableDtype, shape, begin, end };
}

/** Checks sizes, contiguity from byte 0, and coverage of the data section; returns data order. */
function checkLayout(entries: HeaderEntry[], dataLength: number): HeaderEntry[] {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous = '';
  for (const { name, dtype, shape, begin, end } of sorted) {
    const expected = elementCount(shape) * ELEMENT_BYTES[dtype];
    const where = `tensor '${name}' (${dtype} [${shape.join(', ')}], data_offsets [${begin}, ${end}])`;
    if (end - begin !== expected) fail('bad-offsets', `${where} needs ${expected} bytes but spans ${end - begin}`);
    if (begin > cursor && begin > dataLength) {
      fail('bad-offsets', `${where} starts beyond the end of the ${dataLength}-byte data section`);
    }
    if (begin > cursor) fail('bad-offsets', `${where}: expected it to start at byte ${cursor}, found a gap`);
    if (begin < cursor) fail('bad-offsets', `${where} overlaps tensor '${previous}', which ends at byte ${cursor}`);
    cursor = end;
    previous = name;
  }
  if (cursor > dataLength) {
    fail('truncated', `the tensors need ${cursor} bytes of data but the file has ${dataLength} after the header`);
  }
  if (cursor < dataLength) {
    fail('bad-offsets', `the data section has ${dataLength} bytes but the tensors cover ${cursor}; the rest is stray`);
  }
  return sorted;
}

/** Copies the bytes into a fresh (hence aligned) typed array, converting from little-endian. */
function decodeTensor({ name, dtype, shape }: HeaderEntry, raw: Uint8Array): SafeTensor {
  if (dtype === 'U8') return { name, dtype, shape, data: raw.slice() };
  const count = raw.length / ELEMENT_BYTES[dtype];
  if (LITTLE_ENDIAN_HOST && dtype !== 'F16') {
    const copy = raw.slice().buffer;
    return { name, dtype, shape, data: dtype === 'F32' ? new Float32Array(copy) : new Int32Array(copy) };
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dtype === 'I32') {
    return { name, dtype, shape, data: Int32Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true)) };
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    data[i] = dtype === 'F16' ? halfToFloat(view.getUint16(i * 2, true)) : view.getFloat32(i * 4, true);
  }
  return { name, dtype: 'F32', shape, data };
}

// --------------------------------------------------------------------------------------- helpers

/** IEEE 754 binary16 bits to a number (subnormals, infinities and NaN included). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Keys of the outermost object of an already valid JSON text, duplicates kept (JSON.parse drops them). */
function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      let k = j + 1;
      while (json[k] === ' ' || json[k] === '\n' || json[k] === '\r' || json[k] === '\t') k++;
      if (depth === 1 && json[k] === ':') keys.push(JSON.parse(json.slice(i, j + 1)) as string);
      i = j;
    }
  }
  return keys;
}

function firstDuplicate(items: string[]): string | undefined {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item)) return item;
    seen.add(item);
  }
  return undefined;
}

const isIndex = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
const isShape = (s: unknown): s is number[] => Array.isArray(s) && s.every(isIndex);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const elementCount = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return v.constructor?.name ?? 'an object';
  return typeof v;
}
