// The versioned message protocols between the page and its workers: discriminated unions,
// errors serialised as {name, message, code} and rethrown where they are awaited.

export const PROTOCOL_VERSION = 1;

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, code: typeof code === 'string' ? code : undefined };
  }
  return { name: 'Error', message: String(err) };
}

/** An Error rebuilt on the receiving side, keeping the sender's name and code. */
export class RemoteError extends Error {
  readonly code?: string;
  constructor(e: SerializedError) {
    super(e.message);
    this.name = e.name;
    this.code = e.code;
  }
}

// ---- decode worker ----
export type DecodeRequest = {
  v: typeof PROTOCOL_VERSION;
  type: 'decode';
  id: number;
  file: Blob;
  name: string;
  size: number;
  thumbSize: number;
};

export type DecodeResponse =
  | { v: typeof PROTOCOL_VERSION; type: 'decoded'; id: number; pixels: Uint8Array; thumb?: Blob; width: number; height: number }
  | { v: typeof PROTOCOL_VERSION; type: 'error'; id: number; error: SerializedError };
