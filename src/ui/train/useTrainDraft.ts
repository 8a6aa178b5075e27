// The Train form's draft and where it came from: a shared link (?preset=…), the user's last edits
// (kept across reloads in settings), or the preset chosen for this browser and dataset with the
// reason shown. Edits are written to the URL so the address bar is a link to these settings.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { PRESETS, validateConfig, type BackendName, type TrainConfig } from '../../config';
import type { DatasetMeta } from '../../storage/datasets';
import { getSetting, putSetting } from '../../storage/settings';
import { configFromDraft, draftFromConfig, withSavedTower, type ConfigDraft } from './ConfigForm';
import { choosePreset, type GpuKind } from './presetChoice';
import { settingsFromQuery, withSettings } from './shareSettings';

type Source = 'auto' | 'user' | 'link';

/** What the browser's WebGPU offers, probed once on the main thread (no TF.js needed). */
async function probeGpu(): Promise<GpuKind> {
  type Adapter = { isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean } };
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<Adapter | null> } }).gpu;
  if (!gpu) return 'none';
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return 'none';
  return adapter.isFallbackAdapter || adapter.info?.isFallbackAdapter ? 'software' : 'real';
}

function validate(draft: ConfigDraft): { config: TrainConfig | null; error: string | null } {
  try {
    return { config: validateConfig(configFromDraft(draft)), error: null };
  } catch (err) {
    return { config: null, error: (err as Error).message };
  }
}

export function useTrainDraft(dataset: DatasetMeta | null, backend: BackendName | 'auto') {
  const shared = useMemo(() => settingsFromQuery(location.search), []);
  const [source, setSourceState] = useState<Source>(shared?.config ? 'link' : 'auto');
  const sourceRef = useRef(source);
  const setSource = useCallback((s: Source) => {
    sourceRef.current = s;
    setSourceState(s);
  }, []);
  const [draft, setDraftState] = useState<ConfigDraft>(() => draftFromConfig(shared?.config ?? PRESETS.tiny));
  const [gpu, setGpu] = useState<GpuKind | null>(null);
  const { config, error } = useMemo(() => validate(draft), [draft]);

  useEffect(() => {
    void probeGpu().then(setGpu, () => setGpu('none'));
    void getSetting<ConfigDraft>('trainDraft').then((saved) => {
      if (!saved) return;
      // A link's settings win, but a link cannot carry the backbone: keep the one chosen here.
      if (shared?.config) {
        if (sourceRef.current === 'link') setDraftState((d) => withSavedTower(d, saved));
        return;
      }
      if (sourceRef.current !== 'auto') return; // the user edited before the saved draft arrived
      setSource('user');
      setDraftState(saved);
    });
  }, [shared, setSource]);

  const choice = useMemo(
    () =>
      gpu
        ? choosePreset({ gpu, backend, trainImages: dataset?.report?.splitCounts.train ?? null, sample: dataset?.source === 'sample' })
        : null,
    [gpu, backend, dataset],
  );
  // Until the user edits, the form follows the choice for this browser, backend and dataset.
  useEffect(() => {
    if (source === 'auto' && choice && choice.preset !== draft.preset) setDraftState(draftFromConfig(PRESETS[choice.preset]));
  }, [source, choice, draft.preset]);

  const setDraft = useCallback(
    (d: ConfigDraft) => {
      setSource('user');
      setDraftState(d);
    },
    [setSource],
  );
  // Kept edits survive a reload; the address bar links to the settings in the form.
  useEffect(() => {
    if (source === 'auto' || !config) return;
    void putSetting('trainDraft', draft);
    history.replaceState(history.state, '', withSettings(location.search, config) + location.hash);
  }, [source, draft, config]);

  const note =
    source === 'link'
      ? 'Settings from the link you opened.'
      : source === 'auto' && choice
        ? `Preset chosen for you — ${choice.reason}.`
        : null;
  return { draft, setDraft, config, error, note, shareError: shared?.error ?? null };
}
