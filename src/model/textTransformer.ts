// A small pre-LayerNorm transformer over token embeddings (nanoGPT's Block, without the causal
// mask): positional embeddings, multi-head self-attention that ignores PAD keys, ReLU MLP.

import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config';
import { dense, layerNorm } from './layers';
import { constant, denseSpecs, type ParamSpec, type Params } from './params';

type TransformerShape = Pick<TrainConfig, 'maxTokens' | 'textWidth' | 'textLayers' | 'textHeads'>;

function lnSpecs(prefix: string, C: number): ParamSpec[] {
  return [constant(`${prefix}.gamma`, [C], 1), constant(`${prefix}.beta`, [C], 0)];
}

export function transformerSpecs(config: TransformerShape): ParamSpec[] {
  const C = config.textWidth;
  const specs: ParamSpec[] = [{ name: 'text.pos_embedding', shape: [config.maxTokens, C], init: { kind: 'uniform', limit: 0.02 } }];
  for (let i = 0; i < config.textLayers; i++) {
    const b = `text.block${i}`;
    specs.push(...lnSpecs(`${b}.ln1`, C), ...denseSpecs(`${b}.attn.qkv`, C, 3 * C), ...denseSpecs(`${b}.attn.out`, C, C));
    specs.push(...lnSpecs(`${b}.ln2`, C), ...denseSpecs(`${b}.mlp.fc`, C, 4 * C), ...denseSpecs(`${b}.mlp.proj`, 4 * C, C));
  }
  specs.push(...lnSpecs('text.ln_final', C));
  return specs;
}

function attention(params: Params, prefix: string, x: tf.Tensor3D, keyBias: tf.Tensor, heads: number): tf.Tensor3D {
  const p = (name: string) => params.get(`${prefix}.${name}`)!;
  const [B, T, C] = x.shape;
  const hs = C / heads;
  const qkv = dense(tf.reshape(x, [B * T, C]), p('qkv.kernel'), p('qkv.bias')); // [B*T, 3C]
  const split = (i: number) => tf.transpose(tf.reshape(tf.slice(qkv, [0, i * C], [B * T, C]), [B, T, heads, hs]), [0, 2, 1, 3]); // [B, nh, T, hs]
  const [q, k, v] = [split(0), split(1), split(2)];
  const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hs)), keyBias)); // [B, nh, T, T]
  const y = tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, C]) as tf.Tensor2D; // [B*T, C]
  return tf.reshape(dense(y, p('out.kernel'), p('out.bias')), [B, T, C]);
}

function mlp(params: Params, prefix: string, x: tf.Tensor3D): tf.Tensor3D {
  const p = (name: string) => params.get(`${prefix}.${name}`)!;
  const [B, T, C] = x.shape;
  const h = tf.relu(dense(tf.reshape(x, [B * T, C]), p('fc.kernel'), p('fc.bias'))); // [B*T, 4C]
  return tf.reshape(dense(h, p('proj.kernel'), p('proj.bias')), [B, T, C]);
}

/** h [B, T, C] token embeddings, mask [B, T] (1 = token) -> [B, T, C] */
export function transformerForward(params: Params, config: TransformerShape, h: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor3D {
  const p = (name: string) => params.get(name)!;
  const [B, T] = mask.shape;
  const keyBias = tf.reshape(tf.mul(tf.sub(mask, 1), 1e9), [B, 1, 1, T]); // 0 for tokens, -1e9 for PAD keys
  let x = tf.add(h, p('text.pos_embedding')) as tf.Tensor3D;
  for (let i = 0; i < config.textLayers; i++) {
    const b = `text.block${i}`;
    x = tf.add(x, attention(params, `${b}.attn`, layerNorm(x, p(`${b}.ln1.gamma`), p(`${b}.ln1.beta`)), keyBias, config.textHeads));
    x = tf.add(x, mlp(params, `${b}.mlp`, layerNorm(x, p(`${b}.ln2.gamma`), p(`${b}.ln2.beta`))));
  }
  return layerNorm(x, p('text.ln_final.gamma'), p('text.ln_final.beta'));
}
