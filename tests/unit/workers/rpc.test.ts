// The RPC layer over a MessageChannel (what a worker's port is): calls, errors that keep their
// name, message and code, caller-decided transfers, proxied callbacks, the API version check,
// and calls in flight rejected when the worker is closed.
import { afterEach, describe, expect, it } from 'vitest';
import * as Comlink from 'comlink';
import { LabError } from '../../../src/errors';
import { API_VERSION, connect, proxy, RemoteError, RpcError, serve, transfer, type Connection } from '../../../src/workers/rpc';

class ShelfError extends LabError<'empty-shelf'> {
  override readonly name = 'ShelfError';
}

const api = {
  add: async (a: number, b: number) => a + b,
  fail: async () => {
    throw new ShelfError('empty-shelf', 'expected a book, found an empty shelf');
  },
  failPlain: async () => {
    throw 'just a string';
  },
  byteLength: async (bytes: ArrayBuffer) => bytes.byteLength,
  count: async (n: number, progress: (done: number) => void) => {
    for (let i = 1; i <= n; i++) await progress(i);
    return n;
  },
  never: () => new Promise<never>(() => {}),
};

const open: MessagePort[] = [];
afterEach(() => open.splice(0).forEach((p) => p.close()));

function pair<T>(served: object = api): Connection<T> {
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  serve(served, port1 as unknown as Comlink.Endpoint);
  return connect<T>(port2 as unknown as Comlink.Endpoint, 'test');
}

describe('rpc', () => {
  it('calls a handler like a local async function', async () => {
    await expect(pair<typeof api>().run((a) => a.add(2, 3))).resolves.toBe(5);
  });

  it.each([
    ['a typed error', 'fail', { name: 'ShelfError', code: 'empty-shelf', message: 'expected a book, found an empty shelf' }],
  ] as const)('%s arrives as RemoteError with name, message and code', async (_, method, want) => {
    const err = await pair<typeof api>()
      .run((a) => a[method]())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject(want);
  });

  it('a thrown non-Error value arrives as itself', async () => {
    await expect(pair<typeof api>().run((a) => a.failPlain())).rejects.toBe('just a string');
  });

  it('transfers what the caller names: the sender keeps an empty buffer', async () => {
    const bytes = new ArrayBuffer(16);
    await expect(pair<typeof api>().run((a) => a.byteLength(transfer(bytes, [bytes])))).resolves.toBe(16);
    expect(bytes.byteLength).toBe(0);
  });

  it('proxied callbacks report progress in order', async () => {
    const seen: number[] = [];
    await expect(
      pair<typeof api>().run((a) =>
        a.count(
          3,
          proxy((d: number) => void seen.push(d)),
        ),
      ),
    ).resolves.toBe(3);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('refuses a worker of another API version', async () => {
    const { port1, port2 } = new MessageChannel();
    open.push(port1, port2);
    Comlink.expose({ ...api, apiVersion: () => API_VERSION - 1 }, port1 as unknown as Comlink.Endpoint);
    const conn = connect<typeof api>(port2 as unknown as Comlink.Endpoint, 'old');
    const err = await conn.run((a) => a.add(1, 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({
      code: 'version',
      message: new RegExp(`speaks API version ${API_VERSION - 1}; this page expects ${API_VERSION}`),
    });
  });

  it('close() rejects the calls in flight with the reason', async () => {
    const conn = pair<typeof api>();
    const pending = conn.run((a) => a.never());
    await conn.run((a) => a.add(0, 0)); // connected
    conn.close('decoding cancelled');
    await expect(pending).rejects.toMatchObject({ name: 'RpcError', code: 'closed', message: 'decoding cancelled' });
  });
});

describe('rpc, a crashing worker', () => {
  it("an error event rejects the calls in flight as RpcError 'crashed'; the next call still goes through", async () => {
    const { port1, port2 } = new MessageChannel();
    open.push(port1, port2);
    serve(api, port1 as unknown as Comlink.Endpoint);
    const conn = connect<typeof api>(port2 as unknown as Comlink.Endpoint, 'model');
    await conn.run((a) => a.add(0, 0));
    const pending = conn.run((a) => a.never());
    await new Promise((r) => setTimeout(r, 10)); // the call is sent
    const ev = Object.assign(new Event('error'), { message: 'out of memory' });
    port2.dispatchEvent(ev);
    await expect(pending).rejects.toMatchObject({ code: 'crashed', message: 'The model worker crashed: out of memory' });
    await expect(conn.run((a) => a.add(1, 2))).resolves.toBe(3);
  });
});
