// Shared data types for datasets: splits, caption records and the in-memory training set
// handed from storage to the trainer.

export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/** One caption as read from a caption file. `line` is 1-based in that file (0 when not line-based). */
export interface CaptionRecord {
  image: string; // file name as written in the caption file (no directory), e.g. "1000268201_693b08cb0e.jpg"
  caption: string;
  line: number;
  split?: Split; // when the caption file itself carries a split column
  written?: string; // the image name exactly as the caption file wrote it, when it had a directory part ("../../evil.jpg")
}

/**
 * Everything the trainer needs, already in memory: pixels of every image at one square
 * resolution, captions pointing at images by index, and the split of each image.
 */
export interface TrainingSet {
  name: string;
  imageSize: number; // R: pixels is [N, R, R, 3]
  pixels: Uint8Array; // RGB, row-major, N*R*R*3 bytes
  imageNames: string[]; // length N
  imageSplit: Uint8Array; // length N: 0 train, 1 val, 2 test
  captions: { image: number; text: string }[];
}

export const SPLIT_CODE: Record<Split, number> = { train: 0, val: 1, test: 2 };
