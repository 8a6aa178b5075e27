// Why a model file was refused, said once: a plain-words headline for the error's code where the
// reader's own message needs one, then that message. Pure.

/** Headlines for codes whose detailed message does not already say what is wrong in plain words. */
const HEADLINE: Record<string, string | null> = {
  empty: null, // 'the file is empty (0 bytes)'
  truncated: 'The file is truncated',
  'header-too-large': 'The file is corrupt or not a safetensors file',
  'bad-header': 'The file header is malformed',
  'bad-offsets': 'The file is corrupt (tensor data does not line up)',
  'unsupported-dtype': 'The file holds a tensor type this lab cannot use',
  'too-large': 'The file is too large',
  'not-clip-lab': null, // '… it is not a CLIP Lab model export'
  'version-too-new': null, // 'made by a newer CLIP Lab: format version 99, …'
  'bad-config': 'The file declares an invalid model config',
  'missing-tensor': 'The file lacks a weight the model needs',
  'unexpected-tensor': 'The file holds weights of another model',
  'shape-mismatch': 'A weight in the file has the wrong shape',
  'bad-tensor': 'A weight in the file is invalid',
};

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The message shown for a refused model file: each fact once. */
export function importProblem(code: string | undefined, message: string): string {
  const headline = code ? HEADLINE[code] : undefined;
  if (!headline || message.toLowerCase().startsWith(headline.toLowerCase())) return capitalise(message);
  return `${headline}: ${message}`;
}
