// Preprocessing constants shared by ingestion and by scoring uploaded images.

/** Side of the centre-cropped square RGB copy stored for every ingested image. */
export const STORED_IMAGE_SIZE = 128;
/** Side of the gallery thumbnail. */
export const THUMB_SIZE = 96;
