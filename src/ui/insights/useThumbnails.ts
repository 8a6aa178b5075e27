// Object URLs of dataset thumbnails for the insight pictures, read from storage on demand and
// revoked when the dataset changes or the component goes away.
import { useEffect, useRef, useState } from 'react';
import { getImageRecords } from '../../storage/datasets';

export function useThumbnails(datasetId: string | null, wanted: readonly number[]): Map<number, string> {
  const [urls, setUrls] = useState<Map<number, string>>(new Map());
  const live = useRef(new Map<number, string>());
  const requested = useRef(new Set<number>());
  useEffect(() => {
    const mine = live.current;
    requested.current = new Set();
    return () => {
      mine.forEach((u) => URL.revokeObjectURL(u));
      mine.clear();
    };
  }, [datasetId]);
  const key = wanted.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` (the wanted indexes joined) stands for `wanted`, a fresh array each render
  useEffect(() => {
    if (!datasetId) return;
    const missing = [...new Set(wanted)].filter((i) => !requested.current.has(i));
    if (!missing.length) return;
    missing.forEach((i) => requested.current.add(i));
    let cancelled = false;
    void getImageRecords(datasetId, missing, { originals: false }).then(
      (recs) => {
        if (cancelled) return;
        recs.forEach((r, k) => r?.thumb && !live.current.has(missing[k]) && live.current.set(missing[k], URL.createObjectURL(r.thumb)));
        setUrls(new Map(live.current));
      },
      () => {},
    );
    return () => {
      cancelled = true;
      missing.forEach((i) => requested.current.delete(i));
    };
  }, [datasetId, key]);
  return urls;
}
