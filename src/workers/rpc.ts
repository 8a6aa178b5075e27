// The one RPC layer between the page and its workers, on Comlink (wrap/expose/transfer/proxy): a
// worker serves a table of handlers, the page connects to it, checks the API version and calls
// it like local async functions. What is transferred is decided by the caller with transfer().
// Errors cross with their name, message and code (Comlink's own handler keeps only name and
// message), and a crashed or terminated worker rejects every call in flight.
import * as Comlink from 'comlink';
import { LabError } from '../errors';

export { proxy, transfer } from 'comlink';

/** Version of every worker API in this file's sense; a worker of another version is refused at connect. */
export const API_VERSION = 2;

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

/** An Error rebuilt on the receiving side, keeping the sender's name and code ('remote' when it had none). */
export class RemoteError extends LabError<string> {
  constructor(e: SerializedError) {
    super(e.code ?? 'remote', e.message);
    this.name = e.name;
  }
}

export type RpcErrorCode = 'version' | 'crashed' | 'closed';

export class RpcError extends LabError<RpcErrorCode> {
  override readonly name = 'RpcError';
}

// Comlink's 'throw' handler, replaced by one that keeps `code`. Installed on both sides by import.
type Thrown = { value: unknown };
type WireThrown = { isError: true; value: SerializedError } | { isError: false; value: unknown };
const throwHandler: Comlink.TransferHandler<Thrown, WireThrown> = {
  canHandle: Comlink.transferHandlers.get('throw')!.canHandle as (v: unknown) => v is Thrown,
  serialize: ({ value }) => [value instanceof Error ? { isError: true, value: serializeError(value) } : { isError: false, value }, []],
  deserialize: (wire) => {
    throw wire.isError ? new RemoteError(wire.value) : wire.value;
  },
};
Comlink.transferHandlers.set('throw', throwHandler as Comlink.TransferHandler<unknown, unknown>);

/** In a worker (or on `endpoint`): serves `api`, a table of handlers, with the API version beside it. */
export function serve(api: object, endpoint?: Comlink.Endpoint): void {
  Comlink.expose({ ...api, apiVersion: () => API_VERSION }, endpoint);
}

/** What connect() talks to: a Worker, or any endpoint (a MessagePort in tests). */
export type WorkerLike = Comlink.Endpoint & { terminate?(): void };

/** A connected worker: `run` calls it after the version check, rejecting if it crashes or closes. */
export interface Connection<T> {
  run<R>(call: (api: Comlink.Remote<T>) => Promise<R>): Promise<R>;
  close(reason?: string): void;
}

/**
 * In the page: connects to `worker` (named `what` in messages), checking its API version once.
 * A crash (the worker's error event) rejects the calls in flight; later calls are still sent.
 */
export function connect<T>(worker: WorkerLike, what: string): Connection<T> {
  const api = Comlink.wrap<T & { apiVersion(): number }>(worker);
  const inFlight = new Set<(err: Error) => void>();
  let closed: RpcError | null = null;
  const track = <R>(p: Promise<R>) =>
    new Promise<R>((resolve, reject) => {
      inFlight.add(reject);
      p.then(resolve, reject).finally(() => inFlight.delete(reject));
    });
  const failAll = (err: Error) => [...inFlight].forEach((reject) => reject(err));
  worker.addEventListener('error', (ev) => {
    ev.preventDefault();
    failAll(new RpcError('crashed', `The ${what} worker crashed: ${(ev as ErrorEvent).message || 'unknown error'}`));
  });
  let ready: Promise<void> | null = null;
  return {
    run: async (call) => {
      if (closed) throw closed;
      ready ??= track(api.apiVersion()).then((v) => {
        if (v !== API_VERSION)
          throw new RpcError(
            'version',
            `The ${what} worker speaks API version ${String(v)}; this page expects ${API_VERSION}. Reload the page.`,
          );
      });
      await ready;
      return track(call(api as unknown as Comlink.Remote<T>));
    },
    close: (reason = `the ${what} worker was closed`) => {
      closed = new RpcError('closed', reason);
      failAll(closed);
      worker.terminate?.();
    },
  };
}
