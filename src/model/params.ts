// Named parameters as data: a weight's spec (name, shape, init), its seeded initialisation, and
// the plain-array form weights take in checkpoints and exported files. The names live in clip.ts.
import { LabError } from '../errors';
import * as tf from '@tensorflow/tfjs';
import { hashString, mulberry32 } from '../data/random';

/** A tensor as plain data, e.g. one weight or one optimizer moment. Scalars have shape []. */
export interface SerializedTensor {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

export type ParamInit =
  | { kind: 'glorot'; fanIn: number; fanOut: number } // uniform ±sqrt(6 / (fanIn + fanOut))
  | { kind: 'uniform'; limit: number }
  | { kind: 'constant'; value: number };

export interface ParamSpec {
  name: string; // stable, human-readable: 'image.conv0.kernel', 'text.embedding', 'logit_scale'
  shape: number[];
  init: ParamInit;
}

/** The public part of a spec: what weightSpecs() lists and imported files are checked against. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export type Params = ReadonlyMap<string, tf.Variable>;

export type ModelErrorCode = 'bad-weights' | 'bad-input';

export class ModelError extends LabError<ModelErrorCode> {
  override readonly name = 'ModelError';
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function glorot(name: string, shape: number[], fanIn: number, fanOut: number): ParamSpec {
  return { name, shape, init: { kind: 'glorot', fanIn, fanOut } };
}

export function constant(name: string, shape: number[], value: number): ParamSpec {
  return { name, shape, init: { kind: 'constant', value } };
}

/** A dense layer's kernel [fanIn, fanOut] (glorot) and bias [fanOut] (zeros). */
export function denseSpecs(prefix: string, fanIn: number, fanOut: number): ParamSpec[] {
  return [glorot(`${prefix}.kernel`, [fanIn, fanOut], fanIn, fanOut), constant(`${prefix}.bias`, [fanOut], 0)];
}

/** Initial values of one parameter; seeded by (seed, name) so they do not depend on creation order. */
export function initialValues(spec: ParamSpec, seed: number): Float32Array {
  const values = new Float32Array(sizeOf(spec.shape));
  const { init } = spec;
  if (init.kind === 'constant') return values.fill(init.value);
  const limit = init.kind === 'glorot' ? Math.sqrt(6 / (init.fanIn + init.fanOut)) : init.limit;
  const random = mulberry32(hashString(`${seed}:${spec.name}`));
  for (let i = 0; i < values.length; i++) values[i] = (2 * random() - 1) * limit;
  return values;
}

/** A fresh trainable variable for one spec. */
export function createVariable(spec: ParamSpec, seed: number): tf.Variable {
  // Variables get TF.js's own unique names: two models may share our readable names.
  return tf.tidy(() => tf.variable(tf.tensor(initialValues(spec, seed), spec.shape, 'float32'), true));
}

/** Reads variables back as plain arrays (async: a GPU readback must not block). */
export async function readParams(params: Params): Promise<SerializedTensor[]> {
  const out: SerializedTensor[] = [];
  for (const [name, v] of params) {
    // slice(): on the cpu backend data() is the live buffer, which a transfer would detach.
    out.push({ name, shape: [...v.shape], dtype: 'float32', data: ((await v.data()) as Float32Array).slice() });
  }
  return out;
}

/**
 * Overwrites variables from plain arrays. The list must name exactly the variables, with the
 * same shapes; nothing is written unless all of them match.
 */
export function writeParams(params: Params, weights: readonly SerializedTensor[], what = 'weights'): void {
  const byName = new Map(weights.map((w) => [w.name, w]));
  for (const w of weights) {
    if (!params.has(w.name)) throw new ModelError('bad-weights', `${what}: unexpected tensor '${w.name}'`);
  }
  for (const [name, v] of params) {
    const w = byName.get(name);
    if (!w) throw new ModelError('bad-weights', `${what}: missing tensor '${name}' ${JSON.stringify(v.shape)}`);
    if (w.shape.length !== v.shape.length || w.shape.some((d, i) => d !== v.shape[i])) {
      throw new ModelError('bad-weights', `${what}: '${name}' expected shape ${JSON.stringify(v.shape)}, found ${JSON.stringify(w.shape)}`);
    }
    if (w.data.length !== v.size) {
      throw new ModelError('bad-weights', `${what}: '${name}' expected ${v.size} values, found ${w.data.length}`);
    }
  }
  for (const [name, v] of params) {
    const w = byName.get(name)!;
    const data = w.data instanceof Float32Array ? w.data : Float32Array.from(w.data);
    tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
  }
}
