// The Train form's draft and where it came from: a shared link (?preset=…), the user's last edits
// (kept across reloads in settings), or the preset chosen for this browser and dataset with the
// reason shown. Edits are written to the URL so the address bar is a link to these settings.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ConfigError, PRESETS, validateConfig, type BackendName, type TrainConfig } from '../../config';
import type { DatasetMeta } from '../../storage/datasets';
import { getSetting, putSetting } from '../../storage/settings';
import { configFromDraft, draftFromConfig, formError, withSavedTower, type ConfigDraft } from './ConfigForm';
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

/** The draft's config, or the reason it is not valid in the form's words and the field at fault. */
function validate(draft: ConfigDraft): { config: TrainConfig | null; error: string | null; errorField: string | null } {
  try {
    return { config: validateConfig(configFromDraft(draft)), error: null, errorField: null };
  } catch (err) {
    const field = err instanceof ConfigError ? err.field : '';
    return { config: null, error: formError(field, (err as Error).message), errorField: field };
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
  const { config, error, errorField } = useMemo(() => validate(draft), [draft]);

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
  return { draft, setDraft, config, error, errorField, note, shareError: shared?.error ?? null };
}
