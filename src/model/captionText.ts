// Caption texts as the metrics and the training objective must see them: two captions with the
// same normalised text (case, whitespace and punctuation ignored) are the same caption, whichever
// image they belong to. Also: refusing an empty caption, and the left/right words a flip falsifies.

import { LabError } from '../errors';
import { tokenize } from '../data/tokenizer';

export type CaptionTextErrorCode = 'empty-caption';

export class CaptionTextError extends LabError<CaptionTextErrorCode> {
  override readonly name = 'CaptionTextError';
}

/** "  A dog,  RUNS! " -> "a dog runs": the tokenizer's words joined by single spaces. */
export function normalizeCaption(text: string): string {
  return tokenize(text).join(' ');
}

/** Throws CaptionTextError('empty-caption') unless `text` holds at least one word; returns it unchanged. */
export function requireCaptionText(text: string, what = 'caption'): string {
  if (normalizeCaption(text) === '') {
    throw new CaptionTextError('empty-caption', `${what}: expected at least one word to score, found ${JSON.stringify(text)}`);
  }
  return text;
}

/** A group id per caption: equal ids exactly when the normalised texts are equal (ids in first-seen order). */
export function captionTextGroups(texts: readonly string[]): Int32Array {
  const ids = new Map<string, number>();
  return Int32Array.from(texts, (t) => {
    const key = normalizeCaption(t);
    if (!ids.has(key)) ids.set(key, ids.size);
    return ids.get(key)!;
  });
}

/** A group id per row of tokens [n, T]: equal ids exactly when the token rows are equal (the model cannot tell them apart). */
export function tokenRowGroups(tokens: ArrayLike<number>, rowLength: number, n: number): Int32Array {
  const ids = new Map<string, number>();
  const groups = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const key = Array.prototype.slice.call(tokens, r * rowLength, (r + 1) * rowLength).join(',');
    if (!ids.has(key)) ids.set(key, ids.size);
    groups[r] = ids.get(key)!;
  }
  return groups;
}

/**
 * Relevant captions of each image query for R@K: its own captions plus every caption whose text
 * equals one of them. captionsOf[i] lists image i's caption indices; groups[j] is caption j's text group.
 */
export function relevantCaptions(captionsOf: readonly (readonly number[])[], groups: ArrayLike<number>): number[][] {
  const byGroup = new Map<number, number[]>();
  for (let j = 0; j < groups.length; j++) {
    const list = byGroup.get(groups[j]);
    if (list) list.push(j);
    else byGroup.set(groups[j], [j]);
  }
  return captionsOf.map((own) => [...new Set(own.flatMap((j) => byGroup.get(groups[j]) ?? [j]))].sort((a, b) => a - b));
}

/**
 * Relevant images of each caption query for R@K: its own image plus every image that has a
 * caption of the same text. captionImage[j] is caption j's image index.
 */
export function relevantImages(captionImage: ArrayLike<number>, groups: ArrayLike<number>): number[][] {
  const imagesOfGroup = new Map<number, Set<number>>();
  for (let j = 0; j < captionImage.length; j++) {
    const set = imagesOfGroup.get(groups[j]);
    if (set) set.add(captionImage[j]);
    else imagesOfGroup.set(groups[j], new Set([captionImage[j]]));
  }
  return Array.from({ length: captionImage.length }, (_, j) => [...imagesOfGroup.get(groups[j])!].sort((a, b) => a - b));
}

/**
 * Which in-batch pairs are not negatives: [B * B] row-major, 1 where caption j is image i's own
 * caption in spirit — j === i, or caption j's text group is one of image i's caption groups.
 * batchGroups[j] is the text group of the batch's caption j; imageGroups[i] (optional) all text
 * groups of image i's captions (those outside the batch too); without it only batchGroups[i] counts.
 */
export function sameTextMask(batchGroups: ArrayLike<number>, imageGroups?: readonly ReadonlySet<number>[]): Float32Array {
  const B = batchGroups.length;
  const mask = new Float32Array(B * B);
  for (let i = 0; i < B; i++) {
    const own = imageGroups?.[i];
    for (let j = 0; j < B; j++) {
      mask[i * B + j] = i === j || batchGroups[j] === batchGroups[i] || (own?.has(batchGroups[j]) ?? false) ? 1 : 0;
    }
  }
  return mask;
}

const SIDE_WORDS = new Set(['left', 'right', 'leftmost', 'rightmost', 'lefthand', 'righthand']);

/** True when a caption names a side ("left of", "on the right"): a horizontal flip would make it false. */
export function hasSideWords(text: string): boolean {
  return tokenize(text).some((w) => SIDE_WORDS.has(w));
}
