// Decode worker: a thin onmessage switch around data/decode.ts. Pixels go back in the transfer list.
import { preprocessImage } from '../data/decode';
import { PROTOCOL_VERSION, serializeError, type DecodeRequest, type DecodeResponse } from './protocol';

const post = (msg: DecodeResponse, transfer: Transferable[] = []) =>
  (self as unknown as Worker).postMessage(msg, transfer);

self.onmessage = async (ev: MessageEvent<DecodeRequest>) => {
  const req = ev.data;
  if (req?.v !== PROTOCOL_VERSION || req.type !== 'decode') {
    post({ v: PROTOCOL_VERSION, type: 'error', id: req?.id ?? -1, error: { name: 'ProtocolError', message: `decode worker: unexpected message (protocol ${req?.v}, type ${req?.type})` } });
    return;
  }
  try {
    const out = await preprocessImage(req.file, req.name, req.size, req.thumbSize);
    post({ v: PROTOCOL_VERSION, type: 'decoded', id: req.id, ...out }, [out.pixels.buffer]);
  } catch (err) {
    post({ v: PROTOCOL_VERSION, type: 'error', id: req.id, error: serializeError(err) });
  }
};
