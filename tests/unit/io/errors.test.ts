// ModelFileError carries a code that survives a worker boundary and can be checked again there.
import { describe, expect, it } from 'vitest';
import { isModelFileErrorCode, MODEL_FILE_ERROR_CODES, ModelFileError } from '../../../src/io/errors';

describe('ModelFileError', () => {
  it.each(MODEL_FILE_ERROR_CODES)('keeps code %s, its message and the name ModelFileError', (code) => {
    const error = new ModelFileError(code, `expected x, found y (${code})`);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'ModelFileError', code, message: `expected x, found y (${code})` });
    expect(isModelFileErrorCode(code)).toBe(true);
  });

  it.each([['bogus'], [''], [undefined], [42], [null]])('does not take %j for a code', (value) => {
    expect(isModelFileErrorCode(value)).toBe(false);
  });

  it('lists each required code once', () => {
    const required = [
      'empty',
      'truncated',
      'header-too-large',
      'bad-header',
      'bad-offsets',
      'unsupported-dtype',
      'too-large',
      'not-clip-lab',
      'version-too-new',
      'bad-config',
      'missing-tensor',
      'unexpected-tensor',
      'shape-mismatch',
    ];
    expect(MODEL_FILE_ERROR_CODES).toEqual(expect.arrayContaining(required));
    expect(new Set(MODEL_FILE_ERROR_CODES).size).toBe(MODEL_FILE_ERROR_CODES.length);
  });
});
