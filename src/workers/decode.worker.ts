// Decode worker: serves data/decode.ts's preprocessImage over the RPC layer; pixels go back in the
// transfer list.
import { preprocessImage } from '../data/decode';
import { serve, transfer } from './rpc';

export const decodeApi = {
  async decode(file: Blob, name: string, size: number, thumbSize: number) {
    const out = await preprocessImage(file, name, size, thumbSize);
    return transfer(out, [out.pixels.buffer]);
  },
};

serve(decodeApi);
