import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../../src/model/params';
import { AdamW } from '../../../src/train/optimizer';

/** torch.optim.AdamW on plain numbers. */
function naiveAdamW(p: number[], grads: number[][], lrs: number[], decay: boolean, o = { b1: 0.9, b2: 0.999, eps: 1e-7, wd: 0.1 }) {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const x = [...p];
  grads.forEach((g, k) => {
    const t = k + 1;
    const lr = lrs[k];
    for (let i = 0; i < x.length; i++) {
      if (decay) x[i] *= 1 - lr * o.wd;
      m[i] = o.b1 * m[i] + (1 - o.b1) * g[i];
      v[i] = o.b2 * v[i] + (1 - o.b2) * g[i] * g[i];
      const denom = Math.sqrt(v[i]) / Math.sqrt(1 - o.b2 ** t) + o.eps;
      x[i] -= (lr / (1 - o.b1 ** t)) * (m[i] / denom);
    }
  });
  return x;
}

function setup() {
  const params = new Map<string, tf.Variable>([
    [
      'w',
      tf.variable(
        tf.tensor2d([
          [0.5, -1],
          [2, 0.25],
        ]),
      ),
    ], // a matrix: decayed
    ['b', tf.variable(tf.tensor1d([1, -2]))], // a bias: not decayed
  ]);
  return { params, opt: new AdamW(params, { epsilon: 1e-7, weightDecay: 0.1 }) };
}

const grads = [
  [
    [0.1, -0.2, 0.3, 0.05],
    [1, -1],
  ],
  [
    [0.2, 0.1, -0.3, 0.0],
    [0.5, 0.2],
  ],
  [
    [-0.1, 0.4, 0.2, 0.3],
    [-1, 0.3],
  ],
];
const lrs = [0.1, 0.05, 0.02];

describe('AdamW', () => {
  it('equals torch.optim.AdamW over three steps, decaying matrices only', () => {
    const { params, opt } = setup();
    grads.forEach(([gw, gb], k) =>
      opt.apply(
        new Map<string, tf.Tensor>([
          ['w', tf.tensor2d(gw, [2, 2])],
          ['b', tf.tensor1d(gb)],
        ]),
        lrs[k],
      ),
    );
    const w = naiveAdamW(
      [0.5, -1, 2, 0.25],
      grads.map((g) => g[0]),
      lrs,
      true,
    );
    const b = naiveAdamW(
      [1, -2],
      grads.map((g) => g[1]),
      lrs,
      false,
    );
    [...params.get('w')!.dataSync()].forEach((x, i) => expect(x).toBeCloseTo(w[i], 6));
    [...params.get('b')!.dataSync()].forEach((x, i) => expect(x).toBeCloseTo(b[i], 6));
    expect(opt.step).toBe(3);
  });

  it('leaves a parameter without a gradient untouched', () => {
    const { params, opt } = setup();
    opt.apply(new Map<string, tf.Tensor>([['w', tf.ones([2, 2])]]), 0.1);
    expect([...params.get('b')!.dataSync()]).toEqual([1, -2]);
  });

  it('state round-trips exactly: a restored optimizer continues identically', async () => {
    const a = setup();
    const step = (s: ReturnType<typeof setup>, k: number) =>
      s.opt.apply(
        new Map<string, tf.Tensor>([
          ['w', tf.tensor2d(grads[k][0], [2, 2])],
          ['b', tf.tensor1d(grads[k][1])],
        ]),
        lrs[k],
      );
    step(a, 0);
    step(a, 1);
    const state = await a.opt.getState();
    expect(state.map((s) => s.name)).toEqual(['m/w', 'v/w', 'm/b', 'v/b', 'step']);
    const b = setup();
    for (const [name, v] of a.params) b.params.get(name)!.assign(v);
    b.opt.setState(state);
    expect(b.opt.step).toBe(2);
    step(a, 2);
    step(b, 2);
    expect(b.params.get('w')!.dataSync()).toEqual(a.params.get('w')!.dataSync());
    expect(b.params.get('b')!.dataSync()).toEqual(a.params.get('b')!.dataSync());
  });

  it.each([
    ['no step', (s: { name: string }[]) => s.filter((t) => t.name !== 'step'), /expected a 'step' entry/],
    ['a missing moment', (s: { name: string }[]) => s.filter((t) => t.name !== 'v/b'), /optimizer state: missing tensor 'v\/b'/],
  ])('setState refuses %s', async (_, edit, message) => {
    const { opt } = setup();
    const bad = edit(await opt.getState()) as never;
    expect(() => opt.setState(bad)).toThrow(ModelError);
    expect(() => opt.setState(bad)).toThrow(message);
  });

  it('decays rank >= 2 only', () => {
    expect([AdamW.decays([3, 3]), AdamW.decays([3, 3, 2, 4]), AdamW.decays([3]), AdamW.decays([])]).toEqual([true, true, false, false]);
  });
});
