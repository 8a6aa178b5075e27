// Decode worker: serves data/decode.ts's preprocessImage over the RPC layer, in the form ingestion
// stores: pixels and, for a small file, the original's bytes (stored inline: see
// storage/datasets.ts InlineFile), read once and sniffed from memory. No thumbnail: the stored
// pixels are shown as one. Every buffer goes back in the transfer list.
import { preprocessImage } from '../data/decode';
import { serve, transfer } from './rpc';

export interface DecodedImage {
  pixels: Uint8Array; // size*size*3 RGB, centre crop
  original?: Uint8Array<ArrayBuffer>; // the file's bytes, when it has at most inlineMaxBytes
  width: number;
  height: number;
}

export const decodeApi = {
  async decode(file: Blob, name: string, size: number, inlineMaxBytes: number): Promise<DecodedImage> {
    // Every read of a Blob is a round trip to the browser process (about 1 ms of CPU for a 20 KB
    // file, measured): a small file is read once, and its first bytes sniffed from that copy.
    const original = file.size <= inlineMaxBytes ? new Uint8Array(await file.arrayBuffer()) : undefined;
    const out = await preprocessImage(file, name, size, original);
    const decoded: DecodedImage = { pixels: out.pixels, original, width: out.width, height: out.height };
    return transfer(decoded, [out.pixels.buffer, ...(original ? [original.buffer] : [])]);
  },
};

serve(decodeApi);
