// Pretrained backbones in IndexedDB: each file set (model.json + weight shards) under its SHA-256,
// a small metadata record listed without reading the weights, and the backbone's identity as it
// was chosen (output node, input size, range). Deleting one also drops its cached features.
import { get, promisifyRequest } from 'idb-keyval';
import type { BackboneFile, BackboneIdentity } from '../model/backbone';
import { backboneStore, setManyAtomic, writeAtomic } from './db';
import { StorageError, wrapWriteError } from './errors';
import { deleteFeatures } from './features';

/** Format version of backbone records; a new layout gets a new number, never an edit. */
export const BACKBONE_FORMAT_VERSION = 1;

export interface StoredBackbone {
  version: number;
  sha256: string;
  identity: BackboneIdentity; // as last chosen (the node can be picked again when training)
  files: string[]; // file names, model.json first
  bytes: number; // all files together
  storedAt: string;
}

interface FilesRecord {
  version: number;
  files: BackboneFile[];
}

const metaKey = (sha: string) => `meta:${sha}`;
const filesKey = (sha: string) => `files:${sha}`;

/**
 * Stores a backbone's files (keyed by identity.sha256, which the caller computed over them) with
 * its identity, in one transaction; storing the same files again only updates the identity.
 */
export async function putBackbone(identity: BackboneIdentity, files: readonly BackboneFile[]): Promise<StoredBackbone> {
  const meta: StoredBackbone = {
    version: BACKBONE_FORMAT_VERSION,
    sha256: identity.sha256,
    identity: { ...identity },
    files: files.map((f) => f.name),
    bytes: files.reduce((n, f) => n + f.bytes.byteLength, 0),
    storedAt: new Date().toISOString(),
  };
  const record: FilesRecord = { version: BACKBONE_FORMAT_VERSION, files: files.map((f) => ({ name: f.name, bytes: f.bytes })) };
  try {
    await setManyAtomic(
      [
        [filesKey(identity.sha256), record],
        [metaKey(identity.sha256), meta],
      ],
      backboneStore(),
    );
  } catch (err) {
    throw wrapWriteError(err, `the backbone "${identity.name}" (${(meta.bytes / 1e6).toFixed(1)} MB)`);
  }
  return meta;
}

/** Every stored backbone's metadata, newest first. */
export async function listBackbones(): Promise<StoredBackbone[]> {
  const metas = await backboneStore()('readonly', (s) =>
    promisifyRequest<StoredBackbone[]>(s.getAll(IDBKeyRange.bound('meta:', 'meta:\uffff'))),
  );
  return metas.filter((m) => m.version === BACKBONE_FORMAT_VERSION).sort((a, b) => b.storedAt.localeCompare(a.storedAt));
}

/** The backbone stored under `sha256`, or undefined. */
export async function findBackbone(sha256: string): Promise<StoredBackbone | undefined> {
  const meta = await get<StoredBackbone>(metaKey(sha256), backboneStore());
  return meta?.version === BACKBONE_FORMAT_VERSION ? meta : undefined;
}

/** The files of the backbone stored under `sha256`; throws StorageError('not-found') naming it. */
export async function getBackboneFiles(sha256: string): Promise<BackboneFile[]> {
  const record = await get<FilesRecord>(filesKey(sha256), backboneStore());
  if (!record) throw new StorageError('not-found', `No backbone with SHA-256 ${sha256.slice(0, 12)}… is stored: load its files first.`);
  if (record.version !== BACKBONE_FORMAT_VERSION) {
    throw new StorageError(
      'version',
      `backbone ${sha256.slice(0, 12)}…: expected format ${BACKBONE_FORMAT_VERSION}, found ${record.version}`,
    );
  }
  return record.files;
}

/** Deletes a backbone's files and metadata (one transaction), then every feature cached with it. */
export async function deleteBackbone(sha256: string): Promise<void> {
  try {
    await writeAtomic(backboneStore(), (s) => {
      s.delete(metaKey(sha256));
      s.delete(filesKey(sha256));
    });
  } catch (err) {
    throw wrapWriteError(err, `the deletion of backbone ${sha256.slice(0, 12)}…`);
  }
  await deleteFeatures({ sha256 });
}

/** Bytes of every stored backbone (their files), for the lab's storage figure. */
export async function backboneBytes(): Promise<number> {
  return (await listBackbones()).reduce((n, b) => n + b.bytes, 0);
}
