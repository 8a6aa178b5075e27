// Browser storage quota: how much is used and available, and persistent-storage requests.

export interface StorageEstimateInfo {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

export async function storageEstimate(): Promise<StorageEstimateInfo> {
  const s = globalThis.navigator?.storage;
  if (!s?.estimate) return { usage: null, quota: null, persisted: null };
  const [est, persisted] = await Promise.all([s.estimate(), s.persisted ? s.persisted() : Promise.resolve(null)]);
  return { usage: est.usage ?? null, quota: est.quota ?? null, persisted };
}

/** Asks the browser to keep this origin's data under storage pressure; returns whether it will. */
export async function requestPersistence(): Promise<boolean> {
  const s = globalThis.navigator?.storage;
  if (!s?.persist) return false;
  try {
    return await s.persist();
  } catch {
    return false;
  }
}
