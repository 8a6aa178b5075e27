// Everything a run derives from a TrainingSet before its first step, on the CPU and once:
// the tokenizer (from TRAIN captions only, or a checkpoint's vocab), every caption's token ids,
// the images resized to the model's side, the train caption ids and the val evaluation sample;
// also which captions share a text and which name a side (what a batch needs: batchExtras).

import type { TrainConfig } from '../config';
import { evalSubset, splitCaptionIds } from '../data/batches';
import { Tokenizer } from '../data/tokenizer';
import { captionTextGroups, hasSideWords, sameTextMask } from '../model/captionText';
import type { TrainingSet } from '../data/types';
import type { EvalSet } from './evaluate';
import { resizeImages } from './pixels';
import { TrainError } from './types';

export interface PreparedData {
  tokenizer: Tokenizer;
  pixels: Uint8Array; // [N, S, S, 3] at config.imageSize
  tokens: Float32Array; // [numCaptions, T] token ids of every caption
  captionImage: Int32Array; // image index of every caption
  trainIds: number[]; // caption ids of the train split
  evalSet: EvalSet; // val sample, at most config.maxEvalImages images
  captionGroups: Int32Array; // text group of every caption: equal when the normalised texts are equal
  imageGroups: Set<number>[]; // text groups of each image's captions
  sideWords: Uint8Array; // 1 where a caption says left or right (a flip would falsify it)
}

/** Throws TrainError('bad-data') unless the set's arrays agree with each other. */
export function checkTrainingSet(data: TrainingSet): void {
  const N = data.imageNames.length;
  const R = data.imageSize;
  const fail = (message: string) => {
    throw new TrainError('bad-data', `training set '${data.name}': ${message}`);
  };
  if (data.pixels.length !== N * R * R * 3)
    fail(`expected ${N} x ${R} x ${R} x 3 = ${N * R * R * 3} pixel bytes, found ${data.pixels.length}`);
  if (data.imageSplit.length !== N) fail(`expected a split for each of ${N} images, found ${data.imageSplit.length}`);
  data.captions.forEach((c, i) => {
    if (!Number.isInteger(c.image) || c.image < 0 || c.image >= N) fail(`caption ${i} points at image ${c.image}, expected 0..${N - 1}`);
  });
}

export function prepareData(data: TrainingSet, config: TrainConfig, vocab?: readonly string[]): PreparedData {
  checkTrainingSet(data);
  const trainIds = splitCaptionIds(data.imageSplit, data.captions, 'train');
  if (trainIds.length === 0) throw new TrainError('no-train-data', `training set '${data.name}': no captions in the train split`);
  const tokenizer = vocab
    ? Tokenizer.fromVocab(vocab)
    : Tokenizer.build(
        trainIds.map((id) => data.captions[id].text),
        { maxVocab: config.vocabSize, minCount: config.minWordCount },
      );
  const tokens = tokenizer.encodeBatch(
    data.captions.map((c) => c.text),
    config.maxTokens,
  );
  const pixels = resizeImages(data.pixels, data.imageNames.length, data.imageSize, config.imageSize);
  const captionImage = Int32Array.from(data.captions, (c) => c.image);
  const { imageIds, captionIds } = evalSubset(data.imageSplit, data.captions, 'val', config.maxEvalImages);
  const captionGroups = captionTextGroups(data.captions.map((c) => c.text));
  const imageGroups = data.imageNames.map(() => new Set<number>());
  data.captions.forEach((c, id) => imageGroups[c.image].add(captionGroups[id]));
  const sideWords = Uint8Array.from(data.captions, (c) => (hasSideWords(c.text) ? 1 : 0));
  return {
    tokenizer,
    pixels,
    tokens,
    captionImage,
    trainIds,
    captionGroups,
    imageGroups,
    sideWords,
    evalSet: { pixels, imageIds, captionIds, captionImage, tokens, captionGroups },
  };
}

/** What a training batch of these caption ids needs beside pixels and tokens: TrainBatch's sameText and noFlip. */
export function batchExtras(prep: PreparedData, captionIds: readonly number[]): { sameText: Float32Array; noFlip: boolean[] } {
  return {
    sameText: sameTextMask(
      captionIds.map((id) => prep.captionGroups[id]),
      captionIds.map((id) => prep.imageGroups[prep.captionImage[id]]),
    ),
    noFlip: captionIds.map((id) => prep.sideWords[id] === 1),
  };
}
