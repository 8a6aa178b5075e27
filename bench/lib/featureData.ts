// The pretrained tower's cached features of flickr8k-224 as training and evaluation splits: loads
// the nsfwjs MobileNetV2 1.4 fixture backbone on wasm, runs (or reads from bench/tmp/) the feature
// pass per split and view, drops images that failed to decode, builds the tokenizer on the train
// captions and pairs every caption with its image row and text group. Used by bench/backbone-
// quality.ts and bench/quality.ts.

import { readdirSync, readFileSync } from 'node:fs';
import { setupNodeBackend } from '../../cli/backend';
import { captionTextGroups } from '../../src/model/captionText';
import { Tokenizer } from '../../src/data/tokenizer';
import { loadBackbone, type BackboneIdentity } from '../../src/model/backbone';
import { writeNsfwjsFixture } from '../../tests/fixtures/nsfwjs';
import { dropSkipped, featurePass, planSplit, type FeaturePassStats } from './featureCache';
import type { FeatureSplit } from './featureTrain';

export const MAX_TOKENS = 24;

export interface FeatureData {
  identity: BackboneIdentity;
  backend: string;
  tokenizer: Tokenizer;
  train: FeatureSplit;
  val: FeatureSplit;
  val128: FeatureSplit | null; // dev features of 128-px copies upsampled to the input size (the page's path)
  trainImages: number;
  stats: FeaturePassStats; // the feature pass of train + val (not val128)
  stats128: FeaturePassStats;
  views: string[];
}

export interface FeatureDataOptions {
  trainImages?: number; // the first N train images only
  withFlip: boolean; // the train images' flipped view
  devFlip: boolean; // the dev images' flipped view (test-time mean of both views)
  dev128: boolean;
  log: (line: string) => void;
}

/** captions of `images` in order -> caption rows, their image rows, token ids [Nc, T] and text groups */
function captionsOf(
  images: { captions: string[] }[],
  tokenizer: Tokenizer,
): Pick<FeatureSplit, 'captionImage' | 'tokens' | 'captionGroups'> {
  const captionImage: number[] = [];
  const texts: string[] = [];
  images.forEach((im, i) => im.captions.forEach((c) => (captionImage.push(i), texts.push(c))));
  return { captionImage, tokens: tokenizer.encodeBatch(texts, MAX_TOKENS), captionGroups: captionTextGroups(texts) };
}

export async function loadFeatureData(data: string, opts: FeatureDataOptions): Promise<FeatureData> {
  const backend = await setupNodeBackend('wasm');
  const dir = writeNsfwjsFixture('mobilenet_v2_mid');
  const files = readdirSync(dir).map((name) => ({ name, bytes: new Uint8Array(readFileSync(`${dir}/${name}`)) }));
  const backbone = await loadBackbone(files, { name: 'nsfwjs@4.4.0 mobilenet_v2_mid (MobileNetV2 1.4)' });
  const F = backbone.identity.featureSize;
  opts.log(`backbone ${backbone.identity.name}: ${F}-d at ${backbone.identity.outputNode}`);
  const plans = { train: planSplit(data, 'train').slice(0, opts.trainImages ?? Infinity), val: planSplit(data, 'val') };
  const stats: FeaturePassStats = { images: 0, seconds: 0, computedNow: 0 };
  const stats128: FeaturePassStats = { images: 0, seconds: 0, computedNow: 0 };
  const pass = (split: 'train' | 'val', view: 'plain' | 'flip', s = stats, size?: number) =>
    featurePass(backbone, data, 'flickr8k-224', split, plans[split], view, opts.log, s, size);
  const tokenizer = Tokenizer.build(
    plans.train.flatMap((im) => im.captions),
    { maxVocab: 5000, minCount: 2 },
  );
  const load = async (split: 'train' | 'val', flip: boolean): Promise<FeatureSplit> => {
    const plain = await pass(split, 'plain');
    const flipped = flip ? await pass(split, 'flip') : null;
    const skipped = new Set([...plain.skipped, ...(flipped?.skipped ?? [])]);
    const kept = dropSkipped(plans[split], flipped ? [plain.rows, flipped.rows] : [plain.rows], skipped, F);
    return { featureSize: F, plain: kept.rows[0], flip: kept.rows[1] ?? null, ...captionsOf(kept.images, tokenizer) };
  };
  const train = await load('train', opts.withFlip);
  const val = await load('val', opts.devFlip);
  let val128: FeatureSplit | null = null;
  if (opts.dev128) {
    const small = await pass('val', 'plain', stats128, 128);
    const skipped = new Set([...small.skipped, ...(await pass('val', 'plain', { images: 0, seconds: 0, computedNow: 0 })).skipped]);
    const kept = dropSkipped(plans.val, [small.rows], skipped, F);
    val128 = { featureSize: F, plain: kept.rows[0], flip: null, ...captionsOf(kept.images, tokenizer) };
  }
  backbone.dispose();
  const views = ['train plain', ...(opts.withFlip ? ['train flip'] : []), 'dev plain', ...(opts.devFlip ? ['dev flip'] : [])];
  return {
    identity: backbone.identity,
    backend: backend.detail,
    tokenizer,
    train,
    val,
    val128,
    trainImages: plans.train.length,
    stats,
    stats128,
    views,
  };
}
