// Dumps what bench/stack-calibration.ts compares, so the comparison reruns in seconds: the
// pretrained row's model (pretrainedRow.ts's recipe: feature head + text tower, then the match
// classifier fitted on frozen train embeddings) is trained once, and its dev and train embeddings,
// logit scale and match-classifier weights go to bench/tmp/stack/ as raw float32 files + a JSON index.

import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import type { SerializedTensor } from '../../src/model/params';
import { loadFeatureData } from './featureData';
import { embedAll, embedTexts, trainVariant, type FeatureSplit } from './featureTrain';
import { fitMatchHead, MATCH_FIT } from './matchFit';
import { PRETRAINED_HEAD } from './pretrainedRow';

export const STACK_DIR = new URL('../tmp/stack/', import.meta.url).pathname;

/** One split's embeddings and caption structure. */
export interface SplitDump {
  img: Float32Array; // [Ni, D] unit rows, plain view
  txt: Float32Array; // [Nc, D] unit rows
  captionImage: number[]; // image row of each caption
  captionGroups: Int32Array; // text group of each caption
}

export interface StackDump {
  D: number;
  logitScale: number; // ln s
  matchWeights: SerializedTensor[]; // match.* of the fitted classifier
  dev: SplitDump;
  train: SplitDump;
}

const write = (name: string, a: Float32Array | Int32Array) =>
  writeFileSync(`${STACK_DIR}${name}.bin`, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
const readF = (name: string) => new Float32Array(new Uint8Array(readFileSync(`${STACK_DIR}${name}.bin`)).buffer);
const readI = (name: string) => new Int32Array(new Uint8Array(readFileSync(`${STACK_DIR}${name}.bin`)).buffer);

export function hasDump(): boolean {
  return existsSync(`${STACK_DIR}index.json`);
}

/** Trains the pretrained row's model on flickr8k-224 (`data`) and writes the dump. */
export async function makeDump(data: string, log: (l: string) => void): Promise<void> {
  const head = PRETRAINED_HEAD;
  const d = await loadFeatureData(data, { withFlip: head.flipAugment, devFlip: false, dev128: false, log });
  const r = await trainVariant(head, d.train, d.val, d.tokenizer, log, { keep: true });
  await fitMatchHead(r.model, d.train, MATCH_FIT, log);
  const model = r.model;
  const F = d.train.featureSize;
  const embed = async (s: FeatureSplit): Promise<SplitDump> => ({
    img: await embedAll(s.plain, F, (x) => model.encodeImage(x)),
    txt: await embedTexts(model, s.tokens),
    captionImage: s.captionImage,
    captionGroups: s.captionGroups,
  });
  const dev = await embed(d.val);
  const train = await embed(d.train);
  const weights = (await model.getWeights()).filter((w) => w.name.startsWith('match.'));
  const logitScale = (await model.logitScale.data())[0];
  model.dispose();
  mkdirSync(STACK_DIR, { recursive: true });
  for (const [name, s] of [
    ['dev', dev],
    ['train', train],
  ] as const) {
    write(`${name}-img`, s.img);
    write(`${name}-txt`, s.txt);
    write(`${name}-captionImage`, Int32Array.from(s.captionImage));
    write(`${name}-captionGroups`, s.captionGroups);
  }
  weights.forEach((w) => write(w.name, w.data));
  const index = {
    D: model.config.embedDim,
    logitScale,
    bestEpoch: r.best.epoch,
    weights: weights.map((w) => ({ name: w.name, shape: w.shape })),
  };
  writeFileSync(`${STACK_DIR}index.json`, JSON.stringify(index, null, 1));
  log(`dump: ${STACK_DIR} (best epoch ${r.best.epoch}, ln s ${logitScale.toFixed(3)})`);
}

export function readDump(): StackDump {
  const index = JSON.parse(readFileSync(`${STACK_DIR}index.json`, 'utf8')) as {
    D: number;
    logitScale: number;
    weights: { name: string; shape: number[] }[];
  };
  const split = (name: string): SplitDump => ({
    img: readF(`${name}-img`),
    txt: readF(`${name}-txt`),
    captionImage: Array.from(readI(`${name}-captionImage`)),
    captionGroups: readI(`${name}-captionGroups`),
  });
  return {
    D: index.D,
    logitScale: index.logitScale,
    matchWeights: index.weights.map((w) => ({ ...w, dtype: 'float32' as const, data: readF(w.name) })),
    dev: split('dev'),
    train: split('train'),
  };
}
