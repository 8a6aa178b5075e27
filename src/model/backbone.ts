// A frozen pretrained image tower: loads a TF.js graph or layers model from in-memory files
// (model.json + weight shards, as dropped or downloaded), finds its pooled feature output, and
// extracts features [N, F] from pixels. Its identity (name, SHA-256 of the files, input size,
// value range, output node, feature size) travels with runs and exported models. Pure TF.js.

import * as tf from '@tensorflow/tfjs';
import {
  BackboneError,
  graphCandidates,
  graphFeeds,
  layersCandidates,
  layersFeeds,
  pickFeatureOutput,
  type FeatureCandidate,
  type GraphNodeDef,
} from './backboneOutput';

export { BackboneError, type FeatureCandidate } from './backboneOutput';

/** Pixel values the model expects: img/255 ('0,1', the default) or img/127.5 - 1 ('-1,1'). */
export type ValueRange = '0,1' | '-1,1';

export interface BackboneFile {
  name: string; // file name; weight shards are matched to model.json's manifest by base name
  bytes: Uint8Array;
}

/** Stored with every run and exported model; a backbone is found again by its sha256. */
export interface BackboneIdentity {
  name: string;
  kind: 'graph' | 'layers';
  sha256: string; // hex, over model.json then the shards in manifest order
  inputSize: number; // square side S
  range: ValueRange;
  outputNode: string;
  featureSize: number; // F
  source?: string; // the URL its model.json was downloaded from (absent for files chosen by hand)
}

export interface LoadBackboneOptions {
  name?: string; // default: the file set's folder-less 'model.json' + short hash
  outputNode?: string; // override the automatic choice (any candidate; a feature map is mean-pooled)
  inputSize?: number; // required when the model's input shape leaves it open
  range?: ValueRange;
  source?: string; // recorded in the identity: the URL the files came from
}

export interface Backbone {
  identity: BackboneIdentity;
  candidates: FeatureCandidate[]; // every node/layer that could be picked, in topological order
  /** pixels [N, S, S, 3] already in the model's range -> [N, F] (used inside extractFeatures' tidy) */
  run(x: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

interface ModelJson {
  modelTopology?: { node?: GraphNodeDef[]; model_config?: unknown; class_name?: string; [k: string]: unknown };
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  [k: string]: unknown;
}

/** Lower-case hex SHA-256 of the bytes (crypto.subtle: browsers, workers and Node 20). */
export async function sha256Hex(parts: readonly Uint8Array[]): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', concatBytes(parts));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const baseName = (path: string) => path.split(/[\\/]/).pop() ?? path;

/** Bytes per element of each weight dtype as stored (a quantised weight: its quantisation dtype). */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, complex64: 8, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/**
 * The exact byte count of each weights-manifest group (its shards concatenated), from the weights'
 * shapes × dtype bytes; throws BackboneError for a manifest it cannot size (e.g. string weights).
 */
export function manifestBytes(manifest: NonNullable<ModelJson['weightsManifest']>): number[] {
  return manifest.map((group) =>
    group.weights.reduce((n, w) => {
      const dtype = w.quantization?.dtype ?? w.dtype;
      const bytes = DTYPE_BYTES[dtype];
      if (bytes === undefined || !Array.isArray(w.shape)) {
        throw new BackboneError('bad-model-json', `weight '${w.name}': expected a numeric dtype and a shape, found ${dtype}`);
      }
      return n + w.shape.reduce((a, d) => a * d, 1) * bytes;
    }, 0),
  );
}

/** A TF.js model.json's text parsed and checked for modelTopology and weightsManifest. */
export function parseModelJson(bytes: Uint8Array, name: string): ModelJson {
  let json: ModelJson;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes)) as ModelJson;
  } catch (err) {
    throw new BackboneError('bad-model-json', `${name}: expected JSON, found a parse error (${(err as Error).message})`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new BackboneError('bad-model-json', `${name}: expected a TF.js model.json with modelTopology and weightsManifest`);
  }
  return json;
}

/**
 * model.json parsed, and its shards in manifest order; throws BackboneError naming what is missing,
 * or the group whose shards hold fewer or more bytes than its weights need (a truncated download).
 */
export function readFileSet(files: readonly BackboneFile[]): { json: ModelJson; jsonBytes: Uint8Array; shards: Uint8Array[] } {
  const jsonFile =
    files.find((f) => f.name.endsWith('.json') && baseName(f.name) === 'model.json') ?? files.find((f) => f.name.endsWith('.json'));
  if (!jsonFile) {
    throw new BackboneError(
      'missing-file',
      `expected a model.json among the files, found ${files.map((f) => f.name).join(', ') || 'none'}`,
    );
  }
  const json = parseModelJson(jsonFile.bytes, jsonFile.name);
  const manifest = json.weightsManifest!;
  const want = manifestBytes(manifest);
  const byName = new Map(files.map((f) => [baseName(f.name), f.bytes]));
  const shards = manifest.flatMap((group, g) => {
    const bytes = group.paths.map((p) => {
      const found = byName.get(baseName(p));
      if (!found)
        throw new BackboneError('missing-file', `${jsonFile.name} names weight file '${baseName(p)}', which is not among the files`);
      return found;
    });
    const have = bytes.reduce((n, b) => n + b.length, 0);
    if (have !== want[g]) {
      throw new BackboneError(
        'truncated',
        `${group.paths.map(baseName).join(' + ')}: expected ${want[g]} bytes of weights, found ${have} (a truncated or foreign file)`,
      );
    }
    return bytes;
  });
  return { json, jsonBytes: jsonFile.bytes, shards };
}

function concatBytes(parts: readonly Uint8Array[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out.buffer;
}

/** 'graph' for converter output (format graph-model, or a topology of nodes), else 'layers'. */
export function modelKind(json: ModelJson): 'graph' | 'layers' {
  return json.format === 'graph-model' || Array.isArray(json.modelTopology?.node) ? 'graph' : 'layers';
}

function squareSide(shape: readonly (number | null)[] | undefined, override: number | undefined): number {
  const [, h, w] = shape ?? [];
  if (override !== undefined) {
    if (!Number.isInteger(override) || override < 8 || override > 1024) {
      throw new BackboneError('bad-input', `inputSize: expected a whole number of pixels in 8..1024, found ${override}`);
    }
    return override;
  }
  if (typeof h === 'number' && h > 0 && h === w) return h;
  throw new BackboneError(
    'unknown-input-size',
    `input size: expected the model's input shape to be [N, S, S, 3], found ${JSON.stringify(shape ?? null)}; give the input size`,
  );
}

/**
 * Loads a backbone from its files and finds its feature output (or checks `opts.outputNode`).
 * Runs the model once on a batch of 2 zeros to read output shapes.
 */
export async function loadBackbone(files: readonly BackboneFile[], opts: LoadBackboneOptions = {}): Promise<Backbone> {
  const { json, jsonBytes, shards } = readFileSet(files);
  const sha256 = await sha256Hex([jsonBytes, ...shards]);
  const kind = modelKind(json);
  const { weightsManifest, ...rest } = json;
  const artifacts: tf.io.ModelArtifacts = {
    ...(rest as tf.io.ModelArtifacts),
    weightSpecs: weightsManifest!.flatMap((g) => g.weights),
    weightData: concatBytes(shards),
  };
  const handler = tf.io.fromMemory(artifacts);
  const range = opts.range ?? '0,1';
  const name = opts.name ?? `model.json ${sha256.slice(0, 12)}`;
  const source = opts.source === undefined ? {} : { source: opts.source };
  if (kind === 'graph') {
    const model = await tf.loadGraphModel(handler);
    return disposeOnError(model, () => {
      const inputSize = squareSide(model.inputs[0]?.shape, opts.inputSize);
      const nodes = json.modelTopology!.node!;
      const candidates = graphCandidates(model, nodes, inputSize);
      const pick = chooseOutput(candidates, opts.outputNode, graphFeeds(nodes));
      const run = (x: tf.Tensor4D) => pooled(model.execute(x, pick.node) as tf.Tensor);
      return finish({ name, kind, sha256, inputSize, range, ...source }, pick, candidates, run, () => model.dispose());
    });
  }
  const model = await tf.loadLayersModel(handler);
  return disposeOnError(model, () => {
    const inputSize = squareSide(model.inputs[0]?.shape, opts.inputSize);
    const candidates = layersCandidates(model);
    const pick = chooseOutput(candidates, opts.outputNode, layersFeeds(model));
    const sub = tf.model({ inputs: model.inputs, outputs: model.getLayer(pick.node).output as tf.SymbolicTensor }); // shares the weights
    const run = (x: tf.Tensor4D) => pooled(sub.predict(x) as tf.Tensor);
    return finish({ name, kind, sha256, inputSize, range, ...source }, pick, candidates, run, () => model.dispose());
  });
}

/** Runs `build`; if it throws, frees the loaded model's weights first. */
function disposeOnError<T>(model: { dispose(): unknown }, build: () => T): T {
  try {
    return build();
  } catch (err) {
    model.dispose();
    throw err;
  }
}

function chooseOutput(
  candidates: FeatureCandidate[],
  override: string | undefined,
  feeds: (a: string, b: string) => boolean,
): FeatureCandidate {
  if (override === undefined) return pickFeatureOutput(candidates, feeds);
  const found = candidates.find((c) => c.node === override);
  if (!found) {
    const some = candidates
      .filter((c) => c.shape.length === 1)
      .map((c) => c.node)
      .slice(-8)
      .join(', ');
    throw new BackboneError(
      'unknown-node',
      `output node: expected one with output [N, F] or [N, h, w, C], e.g. ${some}; found no node '${override}'`,
    );
  }
  return found;
}

/** [N, F] as is; a feature map [N, h, w, C] -> its spatial mean [N, C]. */
function pooled(out: tf.Tensor): tf.Tensor2D {
  if (out.rank === 2) return out as tf.Tensor2D;
  if (out.rank === 4) return tf.mean(out, [1, 2]) as tf.Tensor2D;
  throw new BackboneError('bad-input', `feature output: expected rank 2 or 4, found shape ${JSON.stringify(out.shape)}`);
}

function finish(
  id: Omit<BackboneIdentity, 'outputNode' | 'featureSize' | 'source'> & { source?: string },
  pick: FeatureCandidate,
  candidates: FeatureCandidate[],
  run: Backbone['run'],
  dispose: () => void,
): Backbone {
  const featureSize = pick.shape[pick.shape.length - 1]; // [F], or [h, w, C] mean-pooled to C
  const { source, ...rest } = id; // source last, and only when known
  const identity = { ...rest, outputNode: pick.node, featureSize, ...(source === undefined ? {} : { source }) };
  return { identity, candidates, run, dispose };
}

/**
 * Features of a batch: pixels [N, H, W, 3] as int32/uint8 values 0..255, or float32 in 0..1 (the
 * lab's image convention) -> [N, F] float32. Resized (bilinear) to the input size when needed;
 * `flip` mirrors the images left-right first (the cached augmentation view).
 */
export function extractFeatures(backbone: Backbone, pixels: tf.Tensor4D, opts: { flip?: boolean } = {}): tf.Tensor2D {
  if (pixels.rank !== 4 || pixels.shape[3] !== 3) {
    throw new BackboneError('bad-input', `extractFeatures: expected pixels [N, H, W, 3], found ${JSON.stringify(pixels.shape)}`);
  }
  const { inputSize: S, range } = backbone.identity;
  return tf.tidy(() => {
    let x: tf.Tensor4D = pixels.dtype === 'float32' ? pixels : tf.div(tf.cast(pixels, 'float32'), 255); // 0..1
    if (x.shape[1] !== S || x.shape[2] !== S) x = tf.image.resizeBilinear(x, [S, S], false, true);
    if (opts.flip) x = tf.reverse(x, 2);
    if (range === '-1,1') x = tf.sub(tf.mul(x, 2), 1);
    return tf.cast(backbone.run(x), 'float32') as tf.Tensor2D;
  });
}
