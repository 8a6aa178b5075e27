// Where a pretrained image model's pooled features come out: lists the nodes (graph models) or
// layers (layers models) whose output is [N, F], and picks the pooled feature output — the first
// [N, F] with F >= 256 in topological order (where the conv stack is pooled), followed through
// ops that only reshape it (Flatten, Squeeze, Identity, Dropout) — before any classifier head. A
// model without pooled features (a 'no top' net ending in a feature map [N, h, w, C]) gives its
// last feature map with C >= 256, which the backbone pools by a global average.

import * as tf from '@tensorflow/tfjs';
import { LabError } from '../errors';

export type BackboneErrorCode =
  | 'missing-file'
  | 'bad-model-json'
  | 'unknown-input-size'
  | 'no-feature-output'
  | 'unknown-node'
  | 'bad-input'
  | 'truncated'
  | 'async-model';

export class BackboneError extends LabError<BackboneErrorCode> {
  override readonly name = 'BackboneError';
}

/** A node or layer whose output could serve as features. shape excludes the batch axis. */
export interface FeatureCandidate {
  node: string;
  op: string; // graph op ('Squeeze', 'Mean', ...) or layer class ('Flatten', 'Dense', ...)
  shape: number[]; // [F] or [h, w, C] (pooled by a spatial mean when chosen)
}

/** The narrowest feature width that counts as pooled features rather than a classifier's logits. */
export const MIN_FEATURE_WIDTH = 256;

const PASS_THROUGH = new Set(['Reshape', 'Squeeze', 'Identity', 'Flatten', 'Dropout', 'Snapshot', 'StopGradient']);
// Graph ops whose outputs are feature maps (large): left out of the probing pass to save memory.
const FEATURE_MAP_OP = /Conv|BatchNorm|Depthwise|Pad$|^Const$|^Placeholder$/;

export interface GraphNodeDef {
  name: string;
  op: string;
  input?: string[];
}

/** Node names in a topological order (inputs first), stable w.r.t. the file's order. */
export function topologicalOrder(nodes: readonly GraphNodeDef[]): GraphNodeDef[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const done = new Set<string>();
  const out: GraphNodeDef[] = [];
  const visit = (n: GraphNodeDef) => {
    const stack: [GraphNodeDef, number][] = [[n, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [node, i] = top;
      if (done.has(node.name)) {
        stack.pop();
        continue;
      }
      const inputs = node.input ?? [];
      if (i < inputs.length) {
        top[1]++;
        const dep = byName.get(inputName(inputs[i]));
        if (dep && !done.has(dep.name) && !stack.some(([s]) => s === dep)) stack.push([dep, 0]);
      } else {
        done.add(node.name);
        out.push(node);
        stack.pop();
      }
    }
  };
  for (const n of nodes) visit(n);
  return out;
}

/** 'name:1' or '^name' (a control input) -> 'name' */
function inputName(input: string): string {
  return input.replace(/^\^/, '').replace(/:\d+$/, '');
}

/** The data inputs of a node (control inputs dropped). */
function dataInputs(node: GraphNodeDef): string[] {
  return (node.input ?? []).filter((i) => !i.startsWith('^')).map(inputName);
}

/**
 * Runs a batch of 2 through the graph and returns every probed node with a batch-2 output of
 * rank 2 or 4 (rank 4 = a feature map, offered for picking with a spatial mean), in topological order.
 */
export function graphCandidates(model: tf.GraphModel, nodes: readonly GraphNodeDef[], inputSize: number): FeatureCandidate[] {
  const order = topologicalOrder(nodes).filter((n) => !FEATURE_MAP_OP.test(n.op));
  const names = order.map((n) => n.name);
  let shapes: number[][];
  try {
    shapes = tf.tidy(() => (model.execute(tf.zeros([2, inputSize, inputSize, 3]), names) as tf.Tensor[]).map((t) => t.shape));
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    if (/executeAsync/.test(message)) {
      throw new BackboneError(
        'async-model',
        `expected a graph model without control flow (run with execute), found one that needs executeAsync: ${message}`,
      );
    }
    throw err;
  }
  const found: FeatureCandidate[] = [];
  order.forEach((n, i) => {
    const s = shapes[i];
    if (s[0] === 2 && (s.length === 2 || s.length === 4)) found.push({ node: n.name, op: n.op, shape: s.slice(1) });
  });
  return found;
}

/** Layers with a rank-2 or rank-4 output, in the model's (topological) order. */
export function layersCandidates(model: tf.LayersModel): FeatureCandidate[] {
  const found: FeatureCandidate[] = [];
  for (const layer of model.layers) {
    const shape = layer.outputShape;
    if (!Array.isArray(shape) || Array.isArray(shape[0])) continue; // several outputs: not a feature layer
    const s = shape as (number | null)[];
    if (s.length === 2 || s.length === 4) found.push({ node: layer.name, op: layer.getClassName(), shape: s.slice(1).map((d) => d ?? -1) });
  }
  return found;
}

/**
 * The pooled feature output among `candidates` (topological order): the first [F] with
 * F >= MIN_FEATURE_WIDTH, then on through pass-through ops fed by it that keep the shape; in a
 * model with no [F] output at all (no top), its last feature map [h, w, C] with C >= MIN_FEATURE_WIDTH.
 * `feeds(a, b)` says whether b reads a's output directly.
 */
export function pickFeatureOutput(candidates: readonly FeatureCandidate[], feeds: (from: string, to: string) => boolean): FeatureCandidate {
  const first = candidates.findIndex((c) => c.shape.length === 1 && c.shape[0] >= MIN_FEATURE_WIDTH);
  const lastMap = candidates.findLast((c) => c.shape.length === 3 && c.shape[2] >= MIN_FEATURE_WIDTH);
  if (first < 0 && lastMap && candidates.every((c) => c.shape.length !== 1)) return lastMap; // a 'no top' model
  if (first < 0) {
    const seen = candidates
      .map((c) => `${c.node} [${c.shape.join(', ')}]`)
      .slice(-6)
      .join('; ');
    throw new BackboneError(
      'no-feature-output',
      `no pooled feature output: expected a node with output [N, F], F >= ${MIN_FEATURE_WIDTH}, found ${seen || 'no rank-2 outputs'}; pick the node explicitly`,
    );
  }
  let pick = candidates[first];
  for (const c of candidates.slice(first + 1)) {
    if (PASS_THROUGH.has(c.op) && c.shape.join() === pick.shape.join() && feeds(pick.node, c.node)) pick = c;
  }
  return pick;
}

/** feeds() for a graph: b lists a among its data inputs. */
export function graphFeeds(nodes: readonly GraphNodeDef[]): (from: string, to: string) => boolean {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return (from, to) => dataInputs(byName.get(to) ?? { name: to, op: '' }).includes(from);
}

/** feeds() for a layers model: layer b's inbound node reads layer a. */
export function layersFeeds(model: tf.LayersModel): (from: string, to: string) => boolean {
  return (from, to) => {
    const layer = model.layers.find((l) => l.name === to);
    return !!layer && layer.inboundNodes.some((n) => n.inboundLayers.some((l) => l.name === from));
  };
}
