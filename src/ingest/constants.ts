// Constants shared by ingestion, scoring uploaded images and the Node loader (cli/dataset.ts).

/** Side of the centre-cropped square RGB copy stored for every ingested image. */
export const STORED_IMAGE_SIZE = 128;
/** Seed of the by-image split when a folder has no split lists or split column. */
export const INGEST_SPLIT_SEED = 42;
