// The one typed training config: TrainConfig, the frozen named presets, validateConfig() and
// withOverrides(). The config travels with every checkpoint and every exported model file.
// Which TF.js backend runs it is a runtime choice and deliberately not part of the config.
import { LabError } from './errors';
import type { BackboneIdentity } from './model/backbone';

export type PresetName = 'tiny' | 'default' | 'bench';
export type TextEncoderKind = 'conv' | 'transformer' | 'bow';
export type LrSchedule = 'cosine' | 'constant';
/** How the match classifier reads a pair: see src/model/matchHead.ts. */
export type MatchHeadKind = 'mlp' | 'cosine-feature' | 'residual';
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
/** 'cnn': the conv stack trained from scratch; 'backbone': a frozen pretrained model's cached features + a trained head. */
export type ImageTowerKind = 'cnn' | 'backbone';
export type { BackboneIdentity } from './model/backbone';

export interface TrainConfig {
  preset: PresetName;
  seed: number; // init, data order, augmentation and negatives all derive from it
  // image encoder: conv3x3/2 (+ReLU) stack -> global average pool -> [fc+ReLU] -> proj
  imageSize: number; // square input side in pixels (S)
  convChannels: number[]; // one 3x3 stride-2 pad-1 conv (+ReLU) per entry
  imageWidth: number; // hidden dense width after pooling; 0 = project the pooled features directly
  augment: boolean; // random crop, flip and colour jitter on training batches
  // or, instead of the CNN: a frozen pretrained backbone's cached features -> feature head -> proj
  imageTower: ImageTowerKind;
  backbone: BackboneIdentity | null; // required when imageTower is 'backbone' (found again by sha256)
  headHidden: number; // feature head: 0 = linear projection, else one dense + ReLU of this width
  headDropout: number; // feature head dropout on the features (and hidden layer), training only
  flipViews: boolean; // feature runs: train on the flipped view's features half the time
  // text encoder: embedding -> (bow | conv | transformer) -> masked mean pool -> proj
  textEncoder: TextEncoderKind;
  vocabSize: number; // max vocabulary incl. PAD and UNK
  minWordCount: number; // words seen fewer times in training captions map to UNK
  maxTokens: number; // T: captions are truncated / padded to this length
  textWidth: number; // token embedding width (C)
  textLayers: number; // conv: residual 1-D conv layers; transformer: blocks; bow: ignored
  textHeads: number; // transformer attention heads (textWidth must divide by it)
  // joint space
  embedDim: number; // D
  matchHidden: number; // hidden units of the match classifier MLP (0 = no classifier)
  matchLossWeight: number; // loss = clipLoss + matchLossWeight * matchLoss
  matchHead: MatchHeadKind; // 'residual': logit = exp(logit_scale)·cos + MLP, starts at cosine's ranking
  matchDetach: boolean; // the classifier's loss sends no gradient into the encoders
  matchNegatives: number; // wrong captions per positive in the classifier's loss (the first half-hard, the rest random)
  // optimisation (AdamW, betas 0.9 / 0.999, decoupled decay on matrices only)
  batchSize: number;
  epochs: number;
  learningRate: number; // peak learning rate
  lrSchedule: LrSchedule; // cosine: linear warm-up then cosine decay to 0
  warmupSteps: number;
  weightDecay: number;
  adamEpsilon: number; // explicit: TF.js webgl would default to 1e-4
  // evaluation / checkpoints
  evalEveryEpoch: boolean;
  maxEvalImages: number; // val images used per evaluation (first N by index)
  checkpointEverySteps: number;
}

export const PRESET_NAMES: readonly PresetName[] = ['tiny', 'default', 'bench'];

function freezeConfig(c: TrainConfig): TrainConfig {
  Object.freeze(c.convChannels);
  if (c.backbone) Object.freeze(c.backbone);
  return Object.freeze(c);
}

/**
 * Every preset trains the CNN; the head fields are what a backbone run starts from (the best head
 * found on Flickr8k features: linear, dropout 0.5 on the features, flipped views as augmentation).
 */
const CNN_TOWER = { imageTower: 'cnn', backbone: null, headHidden: 0, headDropout: 0.5, flipViews: true } as const;

/** Trains in seconds on the CPU backend: for tests, smoke runs and the synthetic sample set. */
const TINY: TrainConfig = freezeConfig({
  preset: 'tiny',
  seed: 1,
  imageSize: 32,
  convChannels: [8, 16, 32],
  imageWidth: 0,
  augment: false,
  ...CNN_TOWER,
  textEncoder: 'conv',
  vocabSize: 1000,
  minWordCount: 1,
  maxTokens: 12,
  textWidth: 32,
  textLayers: 1,
  textHeads: 1,
  embedDim: 32,
  matchHidden: 32,
  matchLossWeight: 1,
  matchHead: 'cosine-feature',
  matchDetach: true,
  matchNegatives: 2,
  batchSize: 16,
  epochs: 5,
  learningRate: 3e-3,
  lrSchedule: 'cosine',
  warmupSteps: 5,
  weightDecay: 0,
  adamEpsilon: 1e-7,
  evalEveryEpoch: true,
  maxEvalImages: 200,
  checkpointEverySteps: 200,
});

/** For a user with a GPU training on Flickr8k (6,000 train images, 30,000 captions). */
const DEFAULT: TrainConfig = freezeConfig({
  preset: 'default',
  seed: 1,
  imageSize: 64,
  convChannels: [32, 64, 128, 256],
  imageWidth: 256,
  augment: true,
  ...CNN_TOWER,
  textEncoder: 'conv',
  vocabSize: 5000,
  minWordCount: 2,
  maxTokens: 24,
  textWidth: 256,
  textLayers: 2,
  textHeads: 4,
  embedDim: 256,
  matchHidden: 256,
  matchLossWeight: 1,
  matchHead: 'cosine-feature',
  matchDetach: true,
  matchNegatives: 2,
  batchSize: 64,
  epochs: 20,
  learningRate: 1e-3,
  lrSchedule: 'cosine',
  warmupSteps: 200,
  weightDecay: 0.1,
  adamEpsilon: 1e-7,
  evalEveryEpoch: true,
  maxEvalImages: 1000,
  checkpointEverySteps: 500,
});

/**
 * Exactly the model timed against PyTorch: 4 x conv3x3/2 (32-64-128-256) + ReLU on 64x64x3, GAP,
 * dense 128; embedding(5000, 128) over 24 tokens, mean pool, dense 128; symmetric InfoNCE;
 * Adam 1e-3 (constant, no decay); batch 64. No augmentation, no match classifier.
 */
const BENCH: TrainConfig = freezeConfig({
  preset: 'bench',
  seed: 1,
  imageSize: 64,
  convChannels: [32, 64, 128, 256],
  imageWidth: 0,
  augment: false,
  ...CNN_TOWER,
  textEncoder: 'bow',
  vocabSize: 5000,
  minWordCount: 1,
  maxTokens: 24,
  textWidth: 128,
  textLayers: 0,
  textHeads: 1,
  embedDim: 128,
  matchHidden: 0,
  matchLossWeight: 0,
  matchHead: 'mlp',
  matchDetach: false,
  matchNegatives: 1,
  batchSize: 64,
  epochs: 10,
  learningRate: 1e-3,
  lrSchedule: 'constant',
  warmupSteps: 0,
  weightDecay: 0,
  adamEpsilon: 1e-7,
  evalEveryEpoch: true,
  maxEvalImages: 1000,
  checkpointEverySteps: 500,
});

export const PRESETS: Readonly<Record<PresetName, TrainConfig>> = Object.freeze({ tiny: TINY, default: DEFAULT, bench: BENCH });
export const DEFAULT_CONFIG: TrainConfig = DEFAULT;

export type ConfigErrorCode = 'not-object' | 'unknown-key' | 'missing-key' | 'wrong-type' | 'out-of-range';

/** A config that is not a valid TrainConfig; `field` names the offending key ('' for the whole). */
export class ConfigError extends LabError<ConfigErrorCode> {
  override readonly name = 'ConfigError';
  readonly field: string;

  constructor(code: ConfigErrorCode, field: string, message: string) {
    super(code, message);
    this.field = field;
  }
}

type Rule =
  | { kind: 'int'; min: number; max: number }
  | { kind: 'number'; min: number; max: number; minExclusive?: boolean }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'bool' }
  | { kind: 'intList'; minLength: number; maxLength: number; min: number; max: number }
  | { kind: 'backbone' }; // a BackboneIdentity or null

const int = (min: number, max: number): Rule => ({ kind: 'int', min, max });
const num = (min: number, max: number, minExclusive = false): Rule => ({ kind: 'number', min, max, minExclusive });

/** Allowed values per field; the validator's messages quote these ranges. */
export const CONFIG_RULES: Readonly<Record<keyof TrainConfig, Rule>> = Object.freeze({
  preset: { kind: 'enum', values: PRESET_NAMES },
  seed: int(0, 2 ** 32 - 1),
  imageSize: int(8, 256),
  convChannels: { kind: 'intList', minLength: 1, maxLength: 6, min: 1, max: 1024 },
  imageWidth: int(0, 4096),
  augment: { kind: 'bool' },
  imageTower: { kind: 'enum', values: ['cnn', 'backbone'] },
  backbone: { kind: 'backbone' },
  headHidden: int(0, 4096),
  headDropout: num(0, 0.95),
  flipViews: { kind: 'bool' },
  textEncoder: { kind: 'enum', values: ['conv', 'transformer', 'bow'] },
  vocabSize: int(3, 100_000),
  minWordCount: int(1, 10_000),
  maxTokens: int(1, 256),
  textWidth: int(1, 2048),
  textLayers: int(0, 8),
  textHeads: int(1, 32),
  embedDim: int(1, 2048),
  matchHidden: int(0, 4096),
  matchLossWeight: num(0, 100),
  matchHead: { kind: 'enum', values: ['mlp', 'cosine-feature', 'residual'] },
  matchDetach: { kind: 'bool' },
  matchNegatives: int(1, 16),
  batchSize: int(2, 4096),
  epochs: int(1, 10_000),
  learningRate: num(0, 1, true),
  lrSchedule: { kind: 'enum', values: ['cosine', 'constant'] },
  warmupSteps: int(0, 1_000_000),
  weightDecay: num(0, 10),
  adamEpsilon: num(1e-12, 1e-2),
  evalEveryEpoch: { kind: 'bool' },
  maxEvalImages: int(2, 1_000_000),
  checkpointEverySteps: int(1, 10_000_000),
});

function describeRule(rule: Rule): string {
  switch (rule.kind) {
    case 'int':
      return `an integer in [${rule.min}, ${rule.max}]`;
    case 'number':
      return `a number in ${rule.minExclusive ? '(' : '['}${rule.min}, ${rule.max}]`;
    case 'enum':
      return `one of ${rule.values.map((v) => `'${v}'`).join(', ')}`;
    case 'bool':
      return 'true or false';
    case 'intList':
      return `${rule.minLength} to ${rule.maxLength} integers, each in [${rule.min}, ${rule.max}]`;
    case 'backbone':
      return `null or a backbone identity {${BACKBONE_FIELDS.join(', ')}}`;
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (value && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function inRange(value: number, rule: { min: number; max: number; minExclusive?: boolean }): boolean {
  return (rule.minExclusive ? value > rule.min : value >= rule.min) && value <= rule.max;
}

function checkField(field: string, value: unknown, rule: Rule): void {
  const fail = (code: ConfigErrorCode) => {
    throw new ConfigError(code, field, `config.${field}: expected ${describeRule(rule)}, found ${show(value)}`);
  };
  switch (rule.kind) {
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) fail('wrong-type');
      if (!inRange(value as number, rule)) fail('out-of-range');
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) fail('wrong-type');
      if (!inRange(value as number, rule)) fail('out-of-range');
      return;
    case 'enum':
      if (typeof value !== 'string') fail('wrong-type');
      if (!rule.values.includes(value as string)) fail('out-of-range');
      return;
    case 'bool':
      if (typeof value !== 'boolean') fail('wrong-type');
      return;
    case 'intList':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isInteger(v))) fail('wrong-type');
      if ((value as number[]).length < rule.minLength || (value as number[]).length > rule.maxLength) fail('out-of-range');
      if (!(value as number[]).every((v) => inRange(v, rule))) fail('out-of-range');
      return;
    case 'backbone':
      if (value !== null && !isBackboneIdentity(value)) fail('wrong-type');
      return;
  }
}

const BACKBONE_FIELDS = ['name', 'kind', 'sha256', 'inputSize', 'range', 'outputNode', 'featureSize', 'source'] as const; // source optional

function isBackboneIdentity(x: unknown): x is BackboneIdentity {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return false;
  const b = x as Record<string, unknown>;
  const whole = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  return (
    Object.keys(b).every((k) => (BACKBONE_FIELDS as readonly string[]).includes(k)) &&
    typeof b.name === 'string' &&
    (b.kind === 'graph' || b.kind === 'layers') &&
    typeof b.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(b.sha256) &&
    whole(b.inputSize, 8, 1024) &&
    (b.range === '0,1' || b.range === '-1,1') &&
    typeof b.outputNode === 'string' &&
    b.outputNode.length > 0 &&
    whole(b.featureSize, 1, 65_536) &&
    (b.source === undefined || (typeof b.source === 'string' && /^https:\/\//.test(b.source)))
  );
}

/**
 * Fields added after configs were first saved, with the value that reproduces what a saved config
 * without them trained: validateConfig fills them in, so older checkpoints and files still load.
 */
export const LEGACY_DEFAULTS: Readonly<Partial<TrainConfig>> = Object.freeze({
  matchHead: 'mlp',
  matchDetach: false,
  matchNegatives: 1,
  ...CNN_TOWER,
});

/**
 * Checks that `x` is a complete TrainConfig: no unknown keys, no missing keys, every value of the
 * right type and in range (see CONFIG_RULES). Returns a frozen copy; throws ConfigError.
 */
export function validateConfig(x: unknown): TrainConfig {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) {
    throw new ConfigError('not-object', '', `config: expected an object, found ${x === null ? 'null' : typeof x}`);
  }
  const record: Record<string, unknown> = { ...LEGACY_DEFAULTS, ...(x as Record<string, unknown>) };
  const known = Object.keys(CONFIG_RULES);
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) {
      throw new ConfigError('unknown-key', key, `config.${key}: unknown key; expected only ${known.join(', ')}`);
    }
  }
  for (const key of known) {
    const rule = CONFIG_RULES[key as keyof TrainConfig];
    if (!(key in record)) {
      throw new ConfigError('missing-key', key, `config.${key}: missing; expected ${describeRule(rule)}`);
    }
    checkField(key, record[key], rule);
  }
  const config = {
    ...(record as unknown as TrainConfig),
    convChannels: [...(record.convChannels as number[])],
    backbone: record.backbone ? { ...(record.backbone as BackboneIdentity) } : null,
  };
  if (config.imageTower === 'backbone' && !config.backbone) {
    throw new ConfigError(
      'missing-key',
      'backbone',
      "config.backbone: expected a backbone identity when imageTower is 'backbone', found null",
    );
  }
  if (config.textEncoder === 'transformer' && config.textWidth % config.textHeads !== 0) {
    throw new ConfigError(
      'out-of-range',
      'textHeads',
      `config.textHeads: expected a divisor of textWidth (${config.textWidth}) for the transformer, found ${config.textHeads}`,
    );
  }
  return freezeConfig(config);
}

/** A preset with some fields replaced, validated. */
export function withOverrides(preset: PresetName, overrides: Partial<TrainConfig> = {}): TrainConfig {
  const base = PRESETS[preset];
  if (!base) {
    throw new ConfigError('out-of-range', 'preset', `preset: expected one of ${PRESET_NAMES.join(', ')}, found ${show(preset)}`);
  }
  return validateConfig({ ...base, ...overrides });
}
