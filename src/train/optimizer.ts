// AdamW over named tf.Variables (PyTorch's torch.optim.AdamW update): decoupled weight decay on
// matrices only (rank >= 2: kernels, embeddings), an explicit epsilon, and a state (moments and
// step count) that serialises and restores exactly, which tf.train.adam does not offer.

import * as tf from '@tensorflow/tfjs';
import { ModelError, readParams, writeParams, type Params, type SerializedTensor } from '../model/params';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon: number;
  weightDecay: number;
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  /** Updates applied so far (Adam's t). */
  step = 0;
  private readonly moments = new Map<string, tf.Variable>(); // 'm/<name>' and 'v/<name>'

  constructor(
    private readonly params: Params,
    opts: AdamWOptions,
  ) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon;
    this.weightDecay = opts.weightDecay;
    for (const [name, v] of params) {
      this.moments.set(
        `m/${name}`,
        tf.tidy(() => tf.variable(tf.zerosLike(v), false)),
      );
      this.moments.set(
        `v/${name}`,
        tf.tidy(() => tf.variable(tf.zerosLike(v), false)),
      );
    }
  }

  /** True for the parameters that get weight decay: matrices, not biases, norms or logit_scale. */
  static decays(shape: readonly number[]): boolean {
    return shape.length >= 2;
  }

  /**
   * One update with `grads` keyed by our parameter names (a missing gradient leaves that
   * parameter and its moments untouched, like PyTorch's None grads).
   */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.step++;
    const t = this.step;
    const { beta1: b1, beta2: b2 } = this;
    const stepSize = lr / (1 - b1 ** t);
    const sqrtBias2 = Math.sqrt(1 - b2 ** t);
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads.get(name);
        if (!g) continue;
        const m = this.moments.get(`m/${name}`)!;
        const v = this.moments.get(`v/${name}`)!;
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
        const decayed = this.weightDecay > 0 && AdamW.decays(p.shape) ? tf.mul(p, 1 - lr * this.weightDecay) : p;
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtBias2), this.epsilon);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), stepSize)));
      }
    });
  }

  /** Moments and step count as plain arrays. */
  async getState(): Promise<SerializedTensor[]> {
    const state = await readParams(this.moments);
    state.push({ name: 'step', shape: [], dtype: 'int32', data: Int32Array.of(this.step) });
    return state;
  }

  /** Restores a getState() result for the same parameters; throws ModelError on any mismatch. */
  setState(state: readonly SerializedTensor[]): void {
    const step = state.find((s) => s.name === 'step');
    if (!step || step.data.length !== 1 || !Number.isInteger(step.data[0]) || step.data[0] < 0) {
      throw new ModelError('bad-weights', "optimizer state: expected a 'step' entry holding one integer >= 0");
    }
    writeParams(
      this.moments,
      state.filter((s) => s !== step),
      'optimizer state',
    );
    this.step = step.data[0];
  }

  dispose(): void {
    for (const v of this.moments.values()) v.dispose();
    this.moments.clear();
  }
}
