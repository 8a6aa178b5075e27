// Each malformed safetensors file is refused with its own ModelFileError code and a message that
// says what was expected and what was found; seeded fuzzing shows nothing else ever escapes.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random';
import { ModelFileError, type ModelFileErrorCode } from '../../../src/io/errors';
import { readSafetensors, writeSafetensors, type ReadLimits } from '../../../src/io/safetensors';
import { buildFile, f32Bytes } from './helpers';

function seededBytes(seed: number, length: number): Uint8Array {
  const random = mulberry32(seed);
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

function readError(bytes: Uint8Array, limits?: Partial<ReadLimits>): ModelFileError {
  try {
    readSafetensors(bytes, limits);
  } catch (error) {
    if (error instanceof ModelFileError) return error;
    throw new Error(`expected a ModelFileError, got ${String(error)}`);
  }
  throw new Error('expected readSafetensors to throw');
}

const w3 = (begin: number, end: number) => ({ w: { dtype: 'F32', shape: [3], data_offsets: [begin, end] } });
const twelve = f32Bytes(1, 2, 3);

describe('readSafetensors refuses bad files', () => {
  it.each<[string, () => Uint8Array, ModelFileErrorCode, RegExp]>([
    ['0 bytes', () => new Uint8Array(0), 'empty', /empty \(0 bytes\)/],
    ['5 bytes', () => new Uint8Array([1, 2, 3, 4, 5]), 'truncated', /expected at least 8 bytes .*found 5/],
    ['256 random bytes (seed 2024)', () => seededBytes(2024, 256), 'header-too-large', /header declares/],
    [
      'a header length of 2^40',
      () => buildFile('{}', [], 2n ** 40n),
      'header-too-large',
      /declares 1099511627776 bytes but the file has 2 bytes after the length prefix/,
    ],
    ['a header length of 2^53', () => buildFile('{}', [], 2n ** 53n), 'header-too-large', /at least 2\^53/],
    ['a header length of 2^64 - 1', () => buildFile('{}', [], 2n ** 64n - 1n), 'header-too-large', /at least 2\^53/],
    [
      'a header length larger than the file',
      () => buildFile(w3(0, 12), twelve, 500n),
      'header-too-large',
      /declares 500 bytes but the file has \d+ bytes/,
    ],
    ['a non-JSON header', () => buildFile('{"w": {dtype: F32}}'), 'bad-header', /not valid JSON/],
    ['invalid UTF-8 bytes', () => Uint8Array.from([4, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0xc3, 0x28, 0x7d]), 'bad-header', /not valid UTF-8/],
    ['a header that is a JSON array', () => buildFile('[1, 2]'), 'bad-header', /start with '\{', found "\[1, 2\]"/],
    ['a header with leading spaces', () => buildFile(' {}'), 'bad-header', /start with '\{'/],
    ['a zero-length header', () => buildFile(''), 'bad-header', /start with '\{', found ""/],
    ['an entry that is a number', () => buildFile({ w: 1 }), 'bad-header', /tensor 'w': expected an object .*found number/],
    [
      'an entry without dtype',
      () => buildFile({ w: { shape: [0], data_offsets: [0, 0] } }),
      'bad-header',
      /expected a dtype string, found undefined/,
    ],
    ['an entry without shape', () => buildFile({ w: { dtype: 'F32', data_offsets: [0, 0] } }), 'bad-header', /expected a shape/],
    ['a negative dimension', () => buildFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }), 'bad-header', /found \[-1\]/],
    [
      'an entry without data_offsets',
      () => buildFile({ w: { dtype: 'F32', shape: [0] } }),
      'bad-header',
      /expected data_offsets \[begin, end\]/,
    ],
    ['three data_offsets', () => buildFile({ w: { dtype: 'U8', shape: [1], data_offsets: [0, 1, 2] } }, [1]), 'bad-header', /data_offsets/],
    [
      'a metadata value that is a number',
      () => buildFile({ __metadata__: { epochs: 3 } }),
      'bad-header',
      /__metadata__.epochs: expected a string, found number/,
    ],
    ['metadata that is an array', () => buildFile({ __metadata__: ['a'] }), 'bad-header', /object of strings, found an array/],
    ['an empty tensor name', () => buildFile({ '': { dtype: 'U8', shape: [0], data_offsets: [0, 0] } }), 'bad-header', /non-empty/],
    [
      'a name listed twice',
      () => buildFile('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [1]),
      'bad-header',
      /"w" more than once/,
    ],
    [
      'overlapping offsets',
      () => buildFile({ ...w3(0, 12), v: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, twelve),
      'bad-offsets',
      /overlaps tensor '\w', which ends at byte \d+/,
    ],
    ['offsets beyond the end', () => buildFile(w3(1000, 1012), twelve), 'bad-offsets', /starts beyond the end of the 12-byte data section/],
    [
      'a gap before the first tensor',
      () => buildFile(w3(4, 16), [...twelve, 0, 0, 0, 0]),
      'bad-offsets',
      /expected it to start at byte 0, found a gap/,
    ],
    ['a data length not matching the shape', () => buildFile(w3(0, 8), twelve.slice(0, 8)), 'bad-offsets', /needs 12 bytes but spans 8/],
    ['begin after end', () => buildFile(w3(12, 0), twelve), 'bad-offsets', /0 <= begin <= end, found \[12, 0\]/],
    ['a fractional offset', () => buildFile(w3(0.5, 12.5), twelve), 'bad-offsets', /integer data_offsets/],
    [
      'stray bytes after the last tensor',
      () => buildFile(w3(0, 12), [...twelve, 1]),
      'bad-offsets',
      /has 13 bytes but the tensors cover 12/,
    ],
    [
      'an unknown dtype',
      () => buildFile({ w: { dtype: 'Q8', shape: [1], data_offsets: [0, 1] } }, [1]),
      'unsupported-dtype',
      /unknown dtype "Q8"; expected one of BOOL/,
    ],
    [
      'a known but unreadable dtype',
      () => buildFile({ w: { dtype: 'BF16', shape: [1], data_offsets: [0, 2] } }, [0, 0]),
      'unsupported-dtype',
      /BF16 is valid safetensors but is not read here; store the weights as F32$/,
    ],
    ['a truncated data section', () => buildFile(w3(0, 12), twelve.slice(0, 7)), 'truncated', /need 12 bytes of data but the file has 7/],
  ])('%s → %s', (_, make, code, message) => {
    const error = readError(make());
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });
});

describe('read limits', () => {
  const file = writeSafetensors(
    [
      { name: 'a', dtype: 'U8', shape: [4], data: new Uint8Array(4) },
      { name: 'b', dtype: 'U8', shape: [4], data: new Uint8Array(4) },
    ],
    { k: 'v' },
  );

  it('accepts the file under the default limits', () => {
    expect(readSafetensors(file).tensors).toHaveLength(2);
  });

  it.each<[Partial<ReadLimits>, ModelFileErrorCode, RegExp]>([
    [{ maxTensors: 1 }, 'too-large', /lists 2 tensors but at most 1/],
    [{ maxFileBytes: file.length - 1 }, 'too-large', new RegExp(`has ${file.length} bytes but at most ${file.length - 1}`)],
    [{ maxHeaderBytes: 16 }, 'header-too-large', /but at most 16 are accepted/],
  ])('%j → %s', (limits, code, message) => {
    const error = readError(file, limits);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('accepts exactly maxTensors tensors and an explicit undefined limit as the default', () => {
    expect(readSafetensors(file, { maxTensors: 2, maxFileBytes: undefined }).tensors).toHaveLength(2);
  });
});

describe('every truncation of a valid file gets the code for where it was cut', () => {
  const file = writeSafetensors([{ name: 'w', dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }], {});
  const dataStart = file.length - 16;
  const cuts = Array.from({ length: file.length }, (_, length) => length);

  it.each(cuts)('cut at %i bytes', (length) => {
    const expected: ModelFileErrorCode =
      length === 0 ? 'empty' : length < 8 ? 'truncated' : length < dataStart ? 'header-too-large' : 'truncated';
    expect(readError(file.slice(0, length)).code).toBe(expected);
  });
});

describe('seeded fuzzing: only ModelFileError ever escapes', () => {
  const valid = writeSafetensors(
    [
      { name: 'w', dtype: 'F32', shape: [2, 3], data: new Float32Array(6).fill(0.5) },
      { name: 'ids', dtype: 'I32', shape: [3], data: new Int32Array([1, 2, 3]) },
    ],
    { format: 'clip-lab' },
  );

  it('on 500 random files of random length', () => {
    const random = mulberry32(99);
    for (let i = 0; i < 500; i++) {
      const bytes = seededBytes(i, Math.floor(random() * 300));
      expect(() => readSafetensors(bytes)).toThrow(ModelFileError);
    }
  });

  it('on 500 random files with a plausible length prefix and a header starting with "{"', () => {
    for (let i = 0; i < 500; i++) {
      const bytes = seededBytes(1000 + i, 120);
      bytes.set([64, 0, 0, 0, 0, 0, 0, 0, 0x7b], 0);
      expect(readError(bytes).code).toBe('bad-header');
    }
  });

  it('on 2000 copies of a valid file with 1-3 bytes overwritten', () => {
    const random = mulberry32(7);
    for (let i = 0; i < 2000; i++) {
      const bytes = valid.slice();
      for (let j = 0; j <= Math.floor(random() * 3); j++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      try {
        readSafetensors(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(ModelFileError);
      }
    }
  });
});
