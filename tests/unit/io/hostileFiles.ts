// The table of hostile model files that decodeModelFile must refuse, each with its error code and
// message: shared by tests/unit/io/modelFile.test.ts and the Python loader's tests (python/tests),
// which write these files out and expect clip_lab.load to refuse each with the same code.
import { PRESETS } from '../../../src/config';
import { mulberry32 } from '../../../src/data/random';
import type { ModelFileErrorCode } from '../../../src/io/errors';
import { readSafetensors, writeSafetensors, type SafeTensor } from '../../../src/io/safetensors';
import { buildFile, f32Bytes } from './helpers';

/** [what, the file, the code it is refused with, the message it is refused with] */
export type HostileCase = [string, () => Uint8Array, ModelFileErrorCode, RegExp];

/**
 * Hostile variants of `valid()`, a tiny-preset file (one AdamW step, vocab of `vocab`): every
 * kind of damage the reader checks for. `valid` is called lazily, so the table can be built first.
 */
export function hostileModelFiles(valid: () => Uint8Array, vocab: readonly string[]): HostileCase[] {
  const file = () => valid();
  const tokenizer = { vocab, size: vocab.length };
  const headerEnd = () => 8 + Number(new DataView(file().buffer, file().byteOffset).getBigUint64(0, true));
  /** The valid file with its tensors and metadata changed through `edit`. */
  function rewrite(edit: (tensors: SafeTensor[], metadata: Record<string, string>) => SafeTensor[] | void): Uint8Array {
    const { tensors, metadata } = readSafetensors(file());
    return writeSafetensors(edit(tensors, metadata) ?? tensors, metadata);
  }

  const editMeta = (key: string, value: string | undefined) =>
    rewrite((_, m) => {
      if (value === undefined) delete m[key];
      else m[key] = value;
    });
  const editConfig = (change: Record<string, unknown>) => editMeta('config', JSON.stringify({ ...PRESETS.tiny, ...change }));
  const editTensor = (name: string, change: (t: SafeTensor) => SafeTensor | null) =>
    rewrite((ts) => ts.flatMap((t) => (t.name === name ? (change(t) ?? []) : [t])));
  const poke = (index: number, value: number) => (t: SafeTensor) => {
    const data = (t.data as Float32Array).slice();
    data[index] = value;
    return { ...t, data };
  };

  /** The valid file with one tensor stored under another dtype (bytes written by hand). */
  function withDtype(name: string, dtype: 'F16' | 'I32'): Uint8Array {
    const { tensors, metadata } = readSafetensors(file());
    const header: Record<string, unknown> = { __metadata__: metadata };
    const data: number[] = [];
    for (const t of tensors) {
      const size = t.data.length * (t.name === name && dtype === 'F16' ? 2 : 4);
      header[t.name] = { dtype: t.name === name ? dtype : t.dtype, shape: t.shape, data_offsets: [data.length, data.length + size] };
      data.push(...(t.name === name ? new Array<number>(size).fill(0) : bytesOf(t)));
    }
    return buildFile(header, data);
  }

  const bytesOf = (t: { data: ArrayBufferView }) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const editPreprocessing = (path: string, value: unknown) =>
    rewrite((_, m) => {
      const spec = JSON.parse(m.preprocessing) as Record<string, Record<string, unknown>>;
      const [a, b] = path.split('.');
      if (b === undefined) (spec as Record<string, unknown>)[a] = value;
      else spec[a][b] = value;
      m.preprocessing = JSON.stringify(spec);
    });

  function seededBytes(seed: number, length: number): Uint8Array {
    const random = mulberry32(seed);
    return Uint8Array.from({ length }, () => Math.floor(random() * 256));
  }

  return [
    ['a 0-byte file', () => new Uint8Array(0), 'empty', /empty \(0 bytes\)/],
    ['a file cut after 5 bytes', () => file().slice(0, 5), 'truncated', /at least 8 bytes/],
    ['a file cut after the length prefix', () => file().slice(0, 8), 'header-too-large', /header declares \d+ bytes but the file has 0/],
    ['a file cut inside the header', () => file().slice(0, headerEnd() - 100), 'header-too-large', /header declares/],
    [
      'a file cut right after the header',
      () => file().slice(0, headerEnd()),
      'truncated',
      /the tensors need \d+ bytes of data but the file has 0/,
    ],
    ['a file cut inside the data', () => file().slice(0, headerEnd() + 1000), 'truncated', /the file has 1000 after the header/],
    ['a file missing its last byte', () => file().slice(0, -1), 'truncated', /tensors need/],
    ['4 KiB of random bytes', () => seededBytes(99, 4096), 'header-too-large', /header declares/],
    ['random bytes behind a plausible length', () => buildFile('', seededBytes(5, 64), 64n), 'bad-header', /UTF-8|start with/],
    ['a declared header of 2^62 bytes', () => buildFile('{}', [], 2n ** 62n), 'header-too-large', /at least 2\^53/],
    [
      'another model without metadata',
      () => buildFile({ 'bert.weight': { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32Bytes(1, 2)),
      'not-clip-lab',
      /no clip-lab metadata \(found keys: none; tensors: "bert.weight"\)/,
    ],
    [
      'another model with its own metadata',
      () => buildFile({ __metadata__: { format: 'pt' }, w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32Bytes(1)),
      'not-clip-lab',
      /format is "pt", not 'clip-lab' \(found keys: "format"; tensors: "w"\)/,
    ],
    [
      'a newer format version',
      () => editMeta('format_version', '4'),
      'version-too-new',
      /^made by a newer CLIP Lab: format version 4, this lab reads up to 3$/,
    ],
    [
      'a format version that is not a number',
      () => editMeta('format_version', '1.0'),
      'bad-header',
      /format_version.*positive integer, found "1.0"/,
    ],
    [
      'a newer checkpoint version',
      () => editMeta('checkpoint_version', '2'),
      'version-too-new',
      /checkpoint version 2, this lab reads up to 1/,
    ],
    [
      'a version-2 file whose preprocessing is not JSON',
      () => editMeta('preprocessing', 'centre crop, 128 px'),
      'bad-header',
      /'preprocessing' is not valid JSON/,
    ],
    [
      'a stored side that is not a number',
      () => editPreprocessing('stored.side', '128'),
      'bad-header',
      /preprocessing': stored\.side: expected an integer side/,
    ],
    [
      'an unknown stored resample filter',
      () => editPreprocessing('stored.resample', 'lanczos'),
      'bad-header',
      /stored\.resample: expected 'canvas-high-quality' or 'area', found "lanczos"/,
    ],
    [
      'a preprocessing imageSize unlike the config',
      () => editPreprocessing('imageSize', 64),
      'bad-header',
      /imageSize: expected 32 \(config\.imageSize\), found 64/,
    ],
    [
      'a config out of range',
      () => editConfig({ imageSize: 7 }),
      'bad-config',
      /^config\.imageSize: expected an integer in \[8, 256\], found 7$/,
    ],
    ['a config with an unknown key', () => editConfig({ dropout: 0.1 }), 'bad-config', /config\.dropout: unknown key/],
    ['a config that is not JSON', () => editMeta('config', "{preset: 'tiny'}"), 'bad-config', /'config' is not valid JSON/],
    ['a missing config', () => editMeta('config', undefined), 'bad-header', /metadata 'config': expected a value, found none/],
    ['a vocab without PAD and UNK first', () => editMeta('vocab', '["a","b","c"]'), 'bad-config', /expected '<pad>' at 0 and '<unk>' at 1/],
    ['a vocab of numbers', () => editMeta('vocab', '[1, 2]'), 'bad-config', /expected an array of strings/],
    [
      'a vocab longer than vocabSize',
      () => editMeta('vocab', JSON.stringify(['<pad>', '<unk>', ...Array.from({ length: 1000 }, (_, i) => `w${i}`)])),
      'bad-config',
      /expected 2 to config\.vocabSize = 1000 words, found 1002/,
    ],
    [
      'a vocab one word longer than the embedding',
      () => editMeta('vocab', JSON.stringify([...tokenizer.vocab, 'extra'])),
      'shape-mismatch',
      new RegExp(`'text.embedding': expected shape \\[${tokenizer.size + 1}, 32\\], found \\[${tokenizer.size}, 32\\]`),
    ],
    ['a negative step', () => editMeta('step', '-1'), 'bad-header', /'step': expected a non-negative integer, found "-1"/],
    [
      'metrics of the wrong shape',
      () => editMeta('metrics', '{"steps": [{"step": "one"}], "evals": []}'),
      'bad-header',
      /steps\[0\]\.step: expected a number/,
    ],
    ['a bad creation time', () => editMeta('created_at', 'yesterday'), 'bad-header', /ISO 8601/],
    [
      'a missing weight',
      () => editTensor('image.conv0.kernel', () => null),
      'missing-tensor',
      /^missing tensor 'image\.conv0\.kernel': expected F32 \[3, 3, 3, 8\]$/,
    ],
    [
      'a weight of the wrong shape',
      () => editTensor('proj.image.bias', (t) => ({ ...t, shape: [4, 8] })),
      'shape-mismatch',
      /'proj\.image\.bias': expected shape \[32\], found \[4, 8\]/,
    ],
    ['a NaN weight', () => editTensor('proj.text.kernel', poke(5, NaN)), 'bad-tensor', /'proj\.text\.kernel': value 5 of 1024 is NaN/],
    [
      'an infinite optimizer moment',
      () => editTensor('optimizer/v/logit_scale', poke(0, -Infinity)),
      'bad-tensor',
      /'optimizer\/v\/logit_scale': value 0 of 1 is -Infinity/,
    ],
    [
      'a weight stored as F16',
      () => withDtype('text.embedding', 'F16'),
      'unsupported-dtype',
      /'text\.embedding': expected F32 \[\d+, 32\], found F16; CLIP Lab model files store weights as F32$/,
    ],
    ['a weight stored as I32', () => withDtype('logit_scale', 'I32'), 'unsupported-dtype', /'logit_scale': expected F32 \[\], found I32/],
    [
      'an extra weight',
      () => rewrite((ts) => [...ts, { name: 'bert.weight', dtype: 'F32', shape: [2], data: new Float32Array(2) }]),
      'unexpected-tensor',
      /unexpected tensor 'bert\.weight' \[2\]/,
    ],
    [
      'an incomplete optimizer state',
      () => editTensor('optimizer/m/image.conv1.bias', () => null),
      'missing-tensor',
      /missing tensor 'optimizer\/m\/image\.conv1\.bias': expected F32 \[16\]; the optimizer state must be complete or absent/,
    ],
    [
      'a moment of the wrong shape',
      () => editTensor('optimizer/m/logit_scale', (t) => ({ ...t, shape: [1] })),
      'shape-mismatch',
      /'optimizer\/m\/logit_scale': expected shape \[\], found \[1\]/,
    ],
    [
      'a stray optimizer tensor',
      () => rewrite((ts) => [...ts, { name: 'optimizer/z/logit_scale', dtype: 'F32', shape: [], data: new Float32Array(1) }]),
      'unexpected-tensor',
      /'optimizer\/z\/logit_scale'/,
    ],
    [
      'an optimizer step stored as F32',
      () => editTensor('optimizer/step', (t) => ({ ...t, dtype: 'F32', data: Float32Array.of(1) })),
      'unsupported-dtype',
      /'optimizer\/step': expected I32 \[\], found F32/,
    ],
  ];
}
