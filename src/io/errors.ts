// Typed errors for reading and writing model files: one class, ModelFileError, whose `code` says
// which check failed so that the UI and workers can branch on it and show the message as is.
import { LabError } from '../errors';

/**
 * Every reason a model file can be refused. File-level codes come from the safetensors
 * reader/writer (src/io/safetensors.ts); model-level codes come from whoever checks that the
 * tensors and metadata form a CLIP Lab model.
 */
export const MODEL_FILE_ERROR_CODES = [
  // file level (safetensors layout)
  'empty', // the file has 0 bytes
  'truncated', // shorter than the 8-byte length prefix, or than the data the header describes
  'header-too-large', // declared header length above the limit or above what the file holds
  'bad-header', // header not UTF-8, not JSON, not an object, or an entry/metadata malformed
  'bad-offsets', // data_offsets overlap, leave gaps, run out of range or disagree with shape
  'unsupported-dtype', // dtype unknown, or known but not readable here
  'too-large', // the file or the tensor count is above the read limits
  'bad-tensor', // a tensor handed to the writer is invalid (name, dtype, shape or data)
  // model level (CLIP Lab checks on top of a valid file)
  'not-clip-lab',
  'version-too-new',
  'bad-config',
  'missing-tensor',
  'unexpected-tensor',
  'shape-mismatch',
] as const;

export type ModelFileErrorCode = (typeof MODEL_FILE_ERROR_CODES)[number];

/** Narrows an unknown value (e.g. a code that crossed a worker boundary) to a known code. */
export function isModelFileErrorCode(value: unknown): value is ModelFileErrorCode {
  return typeof value === 'string' && (MODEL_FILE_ERROR_CODES as readonly string[]).includes(value);
}

/** A model file was refused; `message` says what was expected and what was found. */
export class ModelFileError extends LabError<ModelFileErrorCode> {
  override readonly name = 'ModelFileError';
}
