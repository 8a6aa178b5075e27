// Small UI preferences that should survive a reload (which dataset was open).
import { get } from 'idb-keyval';
import { cacheStore, setManyAtomic } from './db';

export async function getSetting<T>(key: string): Promise<T | undefined> {
  try {
    return await get<T>(`setting:${key}`, cacheStore());
  } catch {
    return undefined;
  }
}

export async function putSetting<T>(key: string, value: T): Promise<void> {
  try {
    await setManyAtomic([[`setting:${key}`, value]], cacheStore());
  } catch {
    /* a preference that cannot be saved is not worth interrupting the user for */
  }
}
