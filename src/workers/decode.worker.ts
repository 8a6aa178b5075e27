// Decode worker: serves data/decode.ts's preprocessImage over the RPC layer, in the form ingestion
// stores: pixels, the thumbnail's bytes and, for a small file, the original's bytes (stored inline:
// see storage/datasets.ts InlineFile). Every buffer goes back in the transfer list.
import { preprocessImage } from '../data/decode';
import { serve, transfer } from './rpc';

export interface DecodedImage {
  pixels: Uint8Array; // size*size*3 RGB, centre crop
  thumb: Uint8Array<ArrayBuffer>; // JPEG bytes, thumbSize square
  original?: Uint8Array<ArrayBuffer>; // the file's bytes, when it has at most inlineMaxBytes
  width: number;
  height: number;
}

export const decodeApi = {
  async decode(file: Blob, name: string, size: number, thumbSize: number, inlineMaxBytes: number): Promise<DecodedImage> {
    const out = await preprocessImage(file, name, size, thumbSize);
    const thumb = new Uint8Array(await out.thumb!.arrayBuffer());
    const original = file.size <= inlineMaxBytes ? new Uint8Array(await file.arrayBuffer()) : undefined;
    const decoded: DecodedImage = { pixels: out.pixels, thumb, original, width: out.width, height: out.height };
    return transfer(decoded, [out.pixels.buffer, thumb.buffer, ...(original ? [original.buffer] : [])]);
  },
};

serve(decodeApi);
