// Constants shared by ingestion, scoring uploaded images and the Node loader (cli/dataset.ts).

/** Side of the centre-cropped square RGB copy stored for every ingested image. */
export const STORED_IMAGE_SIZE = 128;
/**
 * Side of the gallery thumbnail (shown at 72-96 CSS px): the stored copy's own size, so the copy is
 * encoded as it is instead of resampled again (measured, Chromium 156, Flickr8k originals: about 1 ms
 * of CPU less per image, a tenth of the decode worker's work; about 2 KB more per thumbnail).
 */
export const THUMB_SIZE = STORED_IMAGE_SIZE;
/** Seed of the by-image split when a folder has no split lists or split column. */
export const INGEST_SPLIT_SEED = 42;
