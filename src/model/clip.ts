// The CLIP dual encoder in one file, read top to bottom: the weights (each name written once,
// in the order they are stored), the image tower, the text tower (bag of words, 1-D convs or a
// small transformer), and ClipModel: encodeImage / encodeText into one L2-normalised space, a
// learnable logit_scale (log space, init ln(1/0.07), clamped at ln(100)) and the optional match
// classifier (matchHead.ts). Weights are explicit tf.Variables, identical on every backend.

import * as tf from '@tensorflow/tfjs';
import type { MatchHeadKind, TrainConfig } from '../config';
import { conv1d3, conv3x3s2, dense, l2Normalize, layerNorm, maskedMean, oneHotFloat, tokenMask, type ConvImpl } from './layers';
import { matchHeadForward, matchHeadOptions, matchHeadSpecs } from './matchHead';
import {
  constant,
  createVariable,
  glorot,
  ModelError,
  readParams,
  writeParams,
  type ParamSpec,
  type Params,
  type SerializedTensor,
  type WeightSpec,
} from './params';

export const LOGIT_SCALE_INIT = Math.log(1 / 0.07);
export const LOGIT_SCALE_MAX = Math.log(100);

// openai/CLIP's preprocessing constants (RGB), applied inside the image tower.
export const IMAGE_MEAN = [0.48145466, 0.4578275, 0.40821073];
export const IMAGE_STD = [0.26862954, 0.26130258, 0.27577711];

// ---------------------------------------------------------------------------------------------
// Weights. declareWeights names every parameter once; `param` turns a spec into what the caller
// needs (the spec itself for weightSpecs, a fresh variable for create). Call order = file order.

interface Linear<W> {
  kernel: W;
  bias: W;
} // x @ kernel + bias
interface Norm<W> {
  gamma: W;
  beta: W;
} // LayerNorm
interface Block<W> {
  ln1: Norm<W>;
  qkv: Linear<W>;
  out: Linear<W>;
  ln2: Norm<W>;
  fc: Linear<W>;
  proj: Linear<W>;
}

type TextBody<W> =
  | { kind: 'bow' }
  | { kind: 'conv'; convs: Linear<W>[] }
  | { kind: 'transformer'; pos: W; blocks: Block<W>[]; lnFinal: Norm<W> };

export interface TextWeights<W> {
  embedding: W;
  body: TextBody<W>;
  proj: Linear<W>;
}

interface ClipWeights<W> {
  image: { convs: Linear<W>[]; fc: Linear<W> | null; proj: Linear<W> };
  text: TextWeights<W>;
  logitScale: W;
}

/** A dense layer, or a conv whose kernel has the leading axes `taps` ([3, 3] for 3x3), glorot + zeros. */
function linearOf<W>(param: (spec: ParamSpec) => W) {
  return (name: string, fanIn: number, fanOut: number, taps: number[] = []): Linear<W> => {
    const k = taps.reduce((a, b) => a * b, 1);
    return {
      kernel: param(glorot(`${name}.kernel`, [...taps, fanIn, fanOut], k * fanIn, k * fanOut)),
      bias: param(constant(`${name}.bias`, [fanOut], 0)),
    };
  };
}

function declareWeights<W>(config: TrainConfig, vocabSize: number, param: (spec: ParamSpec) => W): ClipWeights<W> {
  const linear = linearOf(param);
  const { convChannels, imageWidth, embedDim: D } = config;

  // Image tower: conv3x3/2 kernels [3, 3, Cin, Cout], optional hidden dense, projection to D.
  const convs = convChannels.map((cout, i) => linear(`image.conv${i}`, i === 0 ? 3 : convChannels[i - 1], cout, [3, 3]));
  const pooled = convChannels[convChannels.length - 1];
  const fc = imageWidth > 0 ? linear('image.fc', pooled, imageWidth) : null;
  const image = { convs, fc, proj: linear('proj.image', imageWidth > 0 ? imageWidth : pooled, D) };

  const text = declareTextWeights(config, vocabSize, param);
  return { image, text, logitScale: param(constant('logit_scale', [], LOGIT_SCALE_INIT)) };
}

/** What the text tower reads from a TrainConfig. */
export type TextTowerConfig = Pick<TrainConfig, 'textEncoder' | 'maxTokens' | 'textWidth' | 'textLayers' | 'embedDim'>;

/** The text tower's weights: token embeddings [V, C], the encoder body, projection to D. */
export function declareTextWeights<W>(config: TextTowerConfig, vocabSize: number, param: (spec: ParamSpec) => W): TextWeights<W> {
  const linear = linearOf(param);
  const norm = (name: string, C: number): Norm<W> => ({
    gamma: param(constant(`${name}.gamma`, [C], 1)),
    beta: param(constant(`${name}.beta`, [C], 0)),
  });
  const layers = (n: number) => Array.from({ length: n }, (_, i) => i);
  const { textWidth: C, textLayers, embedDim: D } = config;
  const embedding = param(glorot('text.embedding', [vocabSize, C], vocabSize, C));
  let body: TextBody<W> = { kind: 'bow' };
  if (config.textEncoder === 'conv') {
    body = { kind: 'conv', convs: layers(textLayers).map((i) => linear(`text.conv${i}`, C, C, [3])) }; // kernels [3, C, C]
  } else if (config.textEncoder === 'transformer') {
    const pos = param({ name: 'text.pos_embedding', shape: [config.maxTokens, C], init: { kind: 'uniform', limit: 0.02 } });
    const blocks = layers(textLayers).map(
      (i): Block<W> => ({
        ln1: norm(`text.block${i}.ln1`, C),
        qkv: linear(`text.block${i}.attn.qkv`, C, 3 * C),
        out: linear(`text.block${i}.attn.out`, C, C),
        ln2: norm(`text.block${i}.ln2`, C),
        fc: linear(`text.block${i}.mlp.fc`, C, 4 * C),
        proj: linear(`text.block${i}.mlp.proj`, 4 * C, C),
      }),
    );
    body = { kind: 'transformer', pos, blocks, lnFinal: norm('text.ln_final', C) };
  }
  return { embedding, body, proj: linear('proj.text', C, D) };
}

/** Every parameter of a model for `config` and `vocabSize` words, in stored order (the match head's last). */
function clipParamSpecs(config: TrainConfig, vocabSize: number): ParamSpec[] {
  const specs: ParamSpec[] = [];
  declareWeights(config, vocabSize, (spec) => specs.push(spec));
  return [...specs, ...matchHeadSpecs(config.embedDim, config.matchHidden, config.matchHead)];
}

// ---------------------------------------------------------------------------------------------
// Image tower: pixels in 0..1 -> CLIP mean/std -> conv3x3/2 + ReLU stack -> global average pool
// -> [dense + ReLU] -> projection (not yet normalised).

type Weights = ClipWeights<tf.Variable>;

/** images [B, S, S, 3] in 0..1 -> [B, D] */
function imageTower(w: Weights['image'], images: tf.Tensor4D, impl: ConvImpl): tf.Tensor2D {
  const mean = tf.tensor1d(IMAGE_MEAN);
  const invStd = tf.tensor1d(IMAGE_STD.map((s) => 1 / s));
  let x = tf.mul(tf.sub(images, mean), invStd) as tf.Tensor4D; // [B, S, S, 3]
  for (const conv of w.convs) x = tf.relu(conv3x3s2(x, conv.kernel, conv.bias, impl)); // [B, S/2^(i+1), .., C_i]
  let h = tf.mean(x, [1, 2]) as tf.Tensor2D; // [B, C_last] global average pool
  if (w.fc) h = tf.relu(dense(h, w.fc.kernel, w.fc.bias)); // [B, imageWidth]
  return dense(h, w.proj.kernel, w.proj.bias); // [B, D]
}

// ---------------------------------------------------------------------------------------------
// Text tower: token ids (float32 whole numbers, PAD = 0) -> embedding as a one-hot matMul ->
// body -> mean over non-PAD positions -> projection (not yet normalised).

/** tokens [B, T] float ids -> [B, D] */
export function textTower(w: TextWeights<tf.Variable>, tokens: tf.Tensor2D, heads: number): tf.Tensor2D {
  const [B, T] = tokens.shape;
  const [V, C] = w.embedding.shape;
  const mask = tokenMask(tokens); // [B, T]
  let pooled: tf.Tensor2D; // [B, C]
  if (w.body.kind === 'bow') {
    // Mean of embeddings = (mean of one-hots) @ E: one [B, V] x [V, C] matMul instead of [B*T, V] x [V, C].
    pooled = tf.matMul(meanOneHots(tokens, mask, V), w.embedding as tf.Tensor2D);
  } else {
    const oneHot = oneHotFloat(tf.reshape(tokens, [B * T]), V); // [B*T, V]
    const m3 = tf.expandDims(mask, 2); // [B, T, 1]
    let h = tf.mul(tf.reshape(tf.matMul(oneHot, w.embedding as tf.Tensor2D), [B, T, C]), m3) as tf.Tensor3D; // [B, T, C], PAD rows 0
    if (w.body.kind === 'conv') {
      // Residual 1-D convs; PAD positions stay 0, so a caption reads the same whatever padding follows it.
      for (const conv of w.body.convs) h = tf.add(h, tf.mul(tf.relu(conv1d3(h, conv.kernel, conv.bias)), m3));
    } else {
      h = transformer(w.body, h, mask, heads);
    }
    pooled = maskedMean(h, mask);
  }
  return dense(pooled, w.proj.kernel, w.proj.bias); // [B, D]
}

/**
 * Each caption's mean of the one-hots of its non-PAD tokens: tokens [B, T], mask [B, T] -> [B, V].
 * On wasm one scatter of the B*T token weights (its elementwise kernels over the [B*T, V] one-hot
 * took ~8% of a `bench` step); elsewhere the float one-hot (int32 tensors misbehave on webgpu).
 */
function meanOneHots(tokens: tf.Tensor2D, mask: tf.Tensor2D, V: number): tf.Tensor2D {
  const [B, T] = tokens.shape;
  if (tf.getBackend() !== 'wasm') return maskedMean(tf.reshape(oneHotFloat(tf.reshape(tokens, [B * T]), V), [B, T, V]), mask);
  const weights = tf.reshape(tf.div(mask, tf.maximum(tf.sum(mask, 1, true), 1)), [B * T]); // 1/n_b per token, 0 for PAD
  const rows = tf.tensor2d(
    Int32Array.from({ length: B * T }, (_, i) => Math.floor(i / T)),
    [B * T, 1],
    'int32',
  );
  const at = tf.concat([rows, tf.reshape(tf.cast(tokens, 'int32'), [B * T, 1])], 1); // [B*T, 2]: (b, token id)
  return tf.scatterND(at, weights, [B, V]) as tf.Tensor2D; // repeated (b, id) pairs add up
}

// A small pre-LayerNorm transformer (nanoGPT's Block without the causal mask): positional
// embeddings, multi-head self-attention that ignores PAD keys, ReLU MLP.

/** h [B, T, C] token embeddings, mask [B, T] (1 = token) -> [B, T, C] */
function transformer(
  w: Extract<TextBody<tf.Variable>, { kind: 'transformer' }>,
  h: tf.Tensor3D,
  mask: tf.Tensor2D,
  heads: number,
): tf.Tensor3D {
  const [B, T] = mask.shape;
  const keyBias = tf.reshape(tf.mul(tf.sub(mask, 1), 1e9), [B, 1, 1, T]); // 0 for tokens, -1e9 for PAD keys
  let x = tf.add(h, w.pos) as tf.Tensor3D;
  for (const b of w.blocks) {
    x = tf.add(x, attention(b, layerNorm(x, b.ln1.gamma, b.ln1.beta), keyBias, heads));
    x = tf.add(x, mlp(b, layerNorm(x, b.ln2.gamma, b.ln2.beta)));
  }
  return layerNorm(x, w.lnFinal.gamma, w.lnFinal.beta);
}

/** x [B, T, C] -> [B, T, C] */
function attention(b: Block<tf.Variable>, x: tf.Tensor3D, keyBias: tf.Tensor, heads: number): tf.Tensor3D {
  const [B, T, C] = x.shape;
  const hs = C / heads;
  const qkv = dense(tf.reshape(x, [B * T, C]), b.qkv.kernel, b.qkv.bias); // [B*T, 3C]
  const split = (i: number) => tf.transpose(tf.reshape(tf.slice(qkv, [0, i * C], [B * T, C]), [B, T, heads, hs]), [0, 2, 1, 3]); // [B, nh, T, hs]
  const [q, k, v] = [split(0), split(1), split(2)];
  const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hs)), keyBias)); // [B, nh, T, T]
  const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, C]) as tf.Tensor2D; // [B*T, C]
  return tf.reshape(dense(y, b.out.kernel, b.out.bias), [B, T, C]);
}

/** x [B, T, C] -> [B, T, C] */
function mlp(b: Block<tf.Variable>, x: tf.Tensor3D): tf.Tensor3D {
  const [B, T, C] = x.shape;
  const h = tf.relu(dense(tf.reshape(x, [B * T, C]), b.fc.kernel, b.fc.bias)); // [B*T, 4C]
  return tf.reshape(dense(h, b.proj.kernel, b.proj.bias), [B, T, C]);
}

// ---------------------------------------------------------------------------------------------
// The model.

export interface ClipModelOptions {
  convImpl?: ConvImpl; // default 'conv2d'; 'im2col' where Conv2DBackpropFilter is missing (wasm)
}

/** What the lab's CLIP models share over their named variables: logit scale, match classifier, weights in and out. */
export abstract class ParamModel<C extends { matchHidden: number; matchHead?: MatchHeadKind; matchDetach?: boolean }> {
  protected constructor(
    readonly config: C,
    protected readonly params: Map<string, tf.Variable>, // every weight by name, in stored order
  ) {}

  get logitScale(): tf.Variable {
    return this.params.get('logit_scale')!;
  }

  get hasMatchHead(): boolean {
    return this.config.matchHidden > 0;
  }

  /** u [N, D] image embeddings, v [N, D] text embeddings -> match logits [N] */
  matchLogits(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor1D {
    if (!this.hasMatchHead) throw new ModelError('bad-input', 'matchLogits: this model has no match classifier (config.matchHidden = 0)');
    return tf.tidy(() => matchHeadForward(this.params, u, v, matchHeadOptions(this.config)));
  }

  /** P(match) [N] */
  matchProbability(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => tf.sigmoid(this.matchLogits(u, v)));
  }

  /** CLIP's clamp after every optimiser step: logit_scale <= ln(100). */
  clampLogitScale(): void {
    tf.tidy(() => this.logitScale.assign(tf.minimum(this.logitScale, LOGIT_SCALE_MAX)));
  }

  /** The variables under their readable names, in weightSpecs order. */
  trainableVariables(): Params {
    return this.params;
  }

  getWeights(): Promise<SerializedTensor[]> {
    return readParams(this.params);
  }

  /** Replaces every weight; throws ModelError (and changes nothing) unless names and shapes all match. */
  setWeights(weights: readonly SerializedTensor[]): void {
    writeParams(this.params, weights, 'weights');
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}

export class ClipModel extends ParamModel<TrainConfig> {
  /** Free to change between calls: both implementations share weights and results. */
  convImpl: ConvImpl;

  private constructor(
    config: TrainConfig,
    readonly vocabSize: number,
    private readonly w: Weights,
    params: Map<string, tf.Variable>,
    convImpl: ConvImpl,
  ) {
    super(config, params);
    this.convImpl = convImpl;
  }

  /** Names, shapes and dtypes of exactly the tensors getWeights() returns, without building the model. */
  static weightSpecs(config: TrainConfig, vocabSize: number): WeightSpec[] {
    return clipParamSpecs(config, vocabSize).map(({ name, shape }) => ({ name, shape: [...shape], dtype: 'float32' }));
  }

  /** A freshly initialised model (seeded by config.seed). */
  static create(config: TrainConfig, vocabSize: number, opts: ClipModelOptions = {}): ClipModel {
    const params = new Map<string, tf.Variable>();
    const make = (spec: ParamSpec) => {
      const v = createVariable(spec, config.seed);
      params.set(spec.name, v);
      return v;
    };
    const w = declareWeights(config, vocabSize, make);
    matchHeadSpecs(config.embedDim, config.matchHidden, config.matchHead).forEach(make);
    return new ClipModel(config, vocabSize, w, params, opts.convImpl ?? 'conv2d');
  }

  /** images [B, S, S, 3] float in 0..1 -> [B, D] unit rows */
  encodeImage(images: tf.Tensor4D): tf.Tensor2D {
    const S = this.config.imageSize;
    if (images.rank !== 4 || images.shape[1] !== S || images.shape[2] !== S || images.shape[3] !== 3) {
      throw new ModelError('bad-input', `encodeImage: expected images [B, ${S}, ${S}, 3], found ${JSON.stringify(images.shape)}`);
    }
    return tf.tidy(() => l2Normalize(imageTower(this.w.image, images, this.convImpl)));
  }

  /** tokens [B, T] float32 token ids (PAD = 0) -> [B, D] unit rows */
  encodeText(tokens: tf.Tensor2D): tf.Tensor2D {
    const T = this.config.maxTokens;
    if (tokens.rank !== 2 || tokens.shape[1] !== T || tokens.dtype !== 'float32') {
      throw new ModelError(
        'bad-input',
        `encodeText: expected float32 tokens [B, ${T}], found ${tokens.dtype} ${JSON.stringify(tokens.shape)}`,
      );
    }
    return tf.tidy(() => l2Normalize(textTower(this.w.text, tokens, this.config.textHeads)));
  }

  /** img [B, D], txt [N, D] unit rows -> logitsPerImage [B, N] = exp(logit_scale) * img @ txt^T, logitsPerText its transpose */
  logits(img: tf.Tensor2D, txt: tf.Tensor2D): { logitsPerImage: tf.Tensor2D; logitsPerText: tf.Tensor2D } {
    return tf.tidy(() => {
      const logitsPerImage = tf.mul(tf.exp(this.logitScale), tf.matMul(img, txt, false, true)) as tf.Tensor2D;
      return { logitsPerImage, logitsPerText: tf.transpose(logitsPerImage) };
    });
  }
}
