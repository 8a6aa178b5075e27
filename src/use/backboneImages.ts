// Stored images as a frozen backbone sees them: each image's original file decoded at the
// backbone's input size by data/decode.ts's preprocessImage (EXIF-upright, centre square, the
// canvas resample: ingestion's path, at another side), or, where a dataset keeps no originals (the
// built-in sample, older imports), its stored square copy resized by data/rgb.ts. The feature
// pass, Use's scoring of a dataset image and Use's search all read images here, so the pixels a
// head trained on are the pixels it is used on; the cache key of features says which were used.
import { preprocessImage } from '../data/decode';
import { centreCropResize } from '../data/rgb';
import type { BackboneIdentity } from '../model/backbone';
import { getOriginals, getPixels, storesOriginals } from '../storage/datasets';
import type { FeatureImages, FeatureSource, FeatureView } from '../storage/features';

/** A file -> its square RGB pixels [side, side, 3]; throws when it cannot be decoded. */
export type ImageDecoder = (file: Blob, name: string, side: number) => Promise<Uint8Array>;

/** The browser's (and worker's) decoder: the one ingestion uses. */
export const decodeInBrowser: ImageDecoder = async (file, name, side) => (await preprocessImage(file, name, side)).pixels;

/** Images decoded at once while reading originals (each holds a full-size bitmap while it decodes: as many as a decode worker has in flight). */
const DECODING = 4;

/** Which pixels features of this dataset come from: its originals when it keeps them, else its copies. */
export async function featureImagesOf(datasetId: string): Promise<FeatureImages> {
  return (await storesOriginals(datasetId)) ? 'original' : 'copy';
}

/** The cache sources of a dataset's features through `backbone`, one per view. */
export async function featureSources(
  datasetId: string,
  backbone: FeatureSource['backbone'],
  views: readonly FeatureView[],
): Promise<FeatureSource[]> {
  const images = await featureImagesOf(datasetId);
  return views.map((view) => ({ datasetId, images, backbone, view }));
}

export interface BackboneImages {
  pixels: Uint8Array; // [n, side, side, 3] RGB
  side: number;
  fromCopies: number; // images read from the stored copy: 'copy' asked, or the original missing or undecodable
}

/**
 * Images `ids` of a dataset at the backbone's input size: their originals when `images` is
 * 'original' (a record without one, or whose original fails to decode, falls back to its copy and is
 * counted), else the stored copies resized.
 */
export async function readBackboneImages(
  datasetId: string,
  ids: readonly number[],
  backbone: Pick<BackboneIdentity, 'inputSize'>,
  images: FeatureImages,
  decode: ImageDecoder = decodeInBrowser,
): Promise<BackboneImages> {
  const side = backbone.inputSize;
  const per = side * side * 3;
  const pixels = new Uint8Array(ids.length * per);
  const originals = images === 'original' ? await getOriginals(datasetId, [...ids]) : ids.map(() => undefined);
  const copies: number[] = []; // positions in ids
  for (let s = 0; s < ids.length; s += DECODING) {
    const decoded = await Promise.all(
      originals.slice(s, s + DECODING).map((file, k) => (file ? decode(file, `image #${ids[s + k]}`, side).catch(() => null) : null)),
    );
    decoded.forEach((px, k) => (px && px.length === per ? pixels.set(px, (s + k) * per) : copies.push(s + k)));
  }
  if (copies.length) {
    const stored = await getPixels(
      datasetId,
      copies.map((k) => ids[k]),
    );
    stored.forEach((px, j) => {
      const from = Math.round(Math.sqrt(px.length / 3)); // stored copies are square
      pixels.set(centreCropResize({ width: from, height: from, data: px }, side), copies[j] * per);
    });
  }
  return { pixels, side, fromCopies: copies.length };
}
