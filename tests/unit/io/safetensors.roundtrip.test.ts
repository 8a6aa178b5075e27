// Round trips through writeSafetensors/readSafetensors, cross-checked against an independent
// reference reader and a file built byte by byte from the format description.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random';
import { ModelFileError } from '../../../src/io/errors';
import { readSafetensors, writeSafetensors, type SafeTensor, type TensorDtype } from '../../../src/io/safetensors';
import { buildFile, referenceRead } from './helpers';

const SHAPES: number[][] = [[], [0], [1], [3], [2, 3], [4, 5, 6], [7, 1, 3]];
const DTYPES: TensorDtype[] = ['F32', 'I32', 'U8'];

/** Seeded values of the given dtype: negative and fractional floats, negative ints, all bytes. */
function makeTensor(name: string, dtype: TensorDtype, shape: number[], seed: number): SafeTensor {
  const count = shape.reduce((a, b) => a * b, 1);
  const random = mulberry32(seed);
  const values = Array.from({ length: count }, () => random());
  if (dtype === 'F32') return { name, dtype, shape, data: Float32Array.from(values, (v) => (v - 0.5) * 1e3) };
  if (dtype === 'I32') return { name, dtype, shape, data: Int32Array.from(values, (v) => Math.floor((v - 0.5) * 2 ** 32)) };
  return { name, dtype, shape, data: Uint8Array.from(values, (v) => Math.floor(v * 256)) };
}

const CASES = DTYPES.flatMap((dtype) => SHAPES.map((shape) => ({ dtype, shape })));

describe('writeSafetensors → readSafetensors', () => {
  it.each(CASES)('round-trips $dtype $shape exactly', ({ dtype, shape }) => {
    const tensor = makeTensor('t', dtype, shape, 11);
    const { tensors, metadata } = readSafetensors(writeSafetensors([tensor], {}));
    expect(metadata).toEqual({});
    expect(tensors).toHaveLength(1);
    expect(tensors[0].name).toBe('t');
    expect(tensors[0].dtype).toBe(dtype);
    expect(tensors[0].shape).toEqual(shape);
    expect(tensors[0].data.constructor).toBe(tensor.data.constructor);
    expect(Array.from(tensors[0].data)).toEqual(Array.from(tensor.data));
  });

  it('round-trips all dtypes and shapes in one file, with odd sizes putting F32/I32 data off 4-byte alignment', () => {
    // U8 [3] first, so every following tensor starts at a data offset that is not a multiple of 4.
    const tensors = [makeTensor('odd', 'U8', [3], 1), ...CASES.map((c, i) => makeTensor(`t${i}`, c.dtype, c.shape, i + 2))];
    const file = writeSafetensors(tensors, { note: 'mixed' });
    const back = readSafetensors(file);
    expect(back.tensors.map((t) => t.name)).toEqual(tensors.map((t) => t.name));
    back.tensors.forEach((t, i) => {
      expect(t.shape).toEqual(tensors[i].shape);
      expect(Array.from(t.data)).toEqual(Array.from(tensors[i].data));
      expect(t.data.byteOffset % t.data.BYTES_PER_ELEMENT).toBe(0);
    });
    expect(referenceRead(file).tensors.get('t0')?.offsets[0]).toBe(3);
  });

  it.each([
    [{}],
    [{ format: 'clip-lab', version: '1' }],
    [{ config: JSON.stringify({ embedDim: 64, nested: { a: [1, 2] } }), empty: '' }],
    [{ 'ünïcödé 🚀': 'välue — “quoted” \\ "escaped"\n\ttabbed', __proto__x: 'x' }],
    [JSON.parse('{"__proto__":"an own key, not a prototype","constructor":"c"}') as Record<string, string>],
  ])('round-trips metadata %j', (metadata) => {
    const back = readSafetensors(writeSafetensors([makeTensor('w', 'F32', [2], 3)], metadata));
    expect(back.metadata).toEqual(metadata);
  });

  it('keeps the writer order even for integer-like names (which JSON objects reorder)', () => {
    const names = ['b', '10', '2', 'a', '0'];
    const back = readSafetensors(
      writeSafetensors(
        names.map((n, i) => makeTensor(n, 'I32', [i], i)),
        {},
      ),
    );
    expect(back.tensors.map((t) => t.name)).toEqual(names);
  });

  it('writes and reads a file with no tensors', () => {
    const file = writeSafetensors([], {});
    expect(readSafetensors(file)).toEqual({ tensors: [], metadata: {} });
  });

  it('copies tensor data out of subarray views when writing', () => {
    const backing = new Float32Array([9, 1, 2, 3, 9]);
    const view = backing.subarray(1, 4);
    const back = readSafetensors(writeSafetensors([{ name: 'v', dtype: 'F32', shape: [3], data: view }], {}));
    expect(Array.from(back.tensors[0].data)).toEqual([1, 2, 3]);
  });

  it('returns copies that do not alias the input bytes', () => {
    const file = writeSafetensors([{ name: 'u', dtype: 'U8', shape: [2], data: new Uint8Array([1, 2]) }], {});
    const back = readSafetensors(file);
    file.fill(0);
    expect(Array.from(back.tensors[0].data)).toEqual([1, 2]);
  });
});

describe('writer output against the published layout', () => {
  const tensors = [makeTensor('a.weight', 'F32', [2, 3], 5), makeTensor('ids', 'I32', [5], 6), makeTensor('px', 'U8', [7], 7)];
  const file = writeSafetensors(tensors, { format: 'clip-lab', naïve: 'ünïcode' });
  const ref = referenceRead(file);

  it('pads the JSON header with spaces so the data section starts on an 8-byte boundary', () => {
    expect((8 + ref.headerLength) % 8).toBe(0);
    const header = new TextDecoder().decode(file.subarray(8, 8 + ref.headerLength));
    expect(header.startsWith('{')).toBe(true);
    expect(header).toMatch(/} *$/);
    expect(header.trimEnd().length).toBeGreaterThan(header.length - 8);
  });

  it('lays the tensors out contiguously in order, from offset 0 to the end of the file', () => {
    expect(tensors.map((t) => ref.tensors.get(t.name)?.offsets)).toEqual([
      [0, 24],
      [24, 44],
      [44, 51],
    ]);
    expect(file.length).toBe(8 + ref.headerLength + 51);
  });

  it.each([0, 1, 2])('tensor %i has the dtype, shape and values the reference reader sees', (i) => {
    const got = ref.tensors.get(tensors[i].name);
    expect(got?.dtype).toBe(tensors[i].dtype);
    expect(got?.shape).toEqual(tensors[i].shape);
    expect(got?.values).toEqual(Array.from(tensors[i].data));
  });

  it('stores the metadata as a JSON object of strings', () => {
    expect(ref.metadata).toEqual({ format: 'clip-lab', naïve: 'ünïcode' });
  });
});

describe('readSafetensors on hand-built files', () => {
  // A 143-byte header, written out literally: the data section starts at byte 151, not 4-byte aligned.
  const HEADER =
    '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},' +
    '"ids":{"dtype":"I32","shape":[2],"data_offsets":[12,20]}}';
  const bytes = [
    ...[HEADER.length, 0, 0, 0, 0, 0, 0, 0], // u64 little-endian header length
    ...Array.from(HEADER, (c) => c.charCodeAt(0)),
    ...[0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x80, 0x3e], // F32 1.5, -2, 0.25
    ...[0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x00, 0x00], // I32 -1, 258
  ];
  const expected = {
    metadata: { format: 'pt' },
    tensors: [
      { name: 'w', dtype: 'F32', shape: [3], data: new Float32Array([1.5, -2, 0.25]) },
      { name: 'ids', dtype: 'I32', shape: [2], data: new Int32Array([-1, 258]) },
    ],
  };

  it('has the header length the test intends', () => {
    expect(HEADER.length).toBe(143);
  });

  it.each([
    ['a Uint8Array', () => new Uint8Array(bytes)],
    ['an ArrayBuffer', () => new Uint8Array(bytes).buffer],
    ['a view at byte offset 1 of a larger buffer', () => new Uint8Array([0, ...bytes, 0]).subarray(1, bytes.length + 1)],
    ['a Node Buffer', () => Buffer.from(bytes)],
  ])('reads it from %s', (_, make) => {
    expect(readSafetensors(make())).toEqual(expected);
  });

  it('widens F16 to F32, covering normals, the largest half, a subnormal and infinity', () => {
    const halves = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x7c00, 0x8000];
    const data = halves.flatMap((h) => [h & 0xff, h >> 8]);
    const file = buildFile({ h: { dtype: 'F16', shape: [7], data_offsets: [0, 14] } }, data);
    const [t] = readSafetensors(file).tensors;
    expect(t.dtype).toBe('F32');
    expect(Array.from(t.data)).toEqual([1, -2, 0.5, 65504, 2 ** -24, Infinity, -0]);
  });

  it('accepts an __metadata__ entry anywhere and tensors listed out of data order', () => {
    const file = buildFile(
      {
        b: { dtype: 'U8', shape: [1], data_offsets: [2, 3] },
        __metadata__: { k: 'v' },
        a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] },
      },
      [7, 8, 9],
    );
    const back = readSafetensors(file);
    expect(back.tensors.map((t) => [t.name, Array.from(t.data)])).toEqual([
      ['a', [7, 8]],
      ['b', [9]],
    ]);
    expect(back.metadata).toEqual({ k: 'v' });
  });
});

describe('writeSafetensors refuses bad input', () => {
  const f = (name: string, n = 2): SafeTensor => ({ name, dtype: 'F32', shape: [n], data: new Float32Array(n) });
  it.each<[string, SafeTensor[], Record<string, string>, RegExp]>([
    ['a duplicate name', [f('w'), f('w')], {}, /'w' appears twice/],
    ['an empty name', [f('')], {}, /non-empty tensor name/],
    ['the reserved name __metadata__', [f('__metadata__')], {}, /other than '__metadata__'/],
    [
      'data shorter than the shape',
      [{ name: 'w', dtype: 'F32', shape: [2, 3], data: new Float32Array(5) }],
      {},
      /needs 6 elements, found 5/,
    ],
    [
      'an I32 tensor holding a Float32Array',
      [{ name: 'w', dtype: 'I32', shape: [2], data: new Float32Array(2) }],
      {},
      /needs a Int32Array, found Float32Array/,
    ],
    ['an unsupported dtype', [{ name: 'w', dtype: 'F64' as TensorDtype, shape: [1], data: new Float32Array(1) }], {}, /found F64/],
    ['a negative dimension', [{ name: 'w', dtype: 'U8', shape: [-1], data: new Uint8Array(0) }], {}, /non-negative integers/],
    ['a non-string metadata value', [f('w')], { n: 3 as unknown as string }, /metadata 'n': expected a string value, found number/],
  ])('with %s', (_, tensors, metadata, message) => {
    const error = captureError(() => writeSafetensors(tensors, metadata));
    expect(error).toBeInstanceOf(ModelFileError);
    expect(error).toMatchObject({ code: 'bad-tensor', name: 'ModelFileError' });
    expect((error as Error).message).toMatch(message);
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}
