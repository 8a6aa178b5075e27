// The "Download MobileNetV2 (ImageNet)" path of the pretrained tower. Nothing is fetched until the
// first click; then model.json alone, to show the exact download size (from its weights manifest)
// and the origin; the second click downloads the shards with a byte progress bar and Cancel. A
// backbone downloaded before is taken from the browser's store instead, with no network at all.
import { useEffect, useRef, useState } from 'react';
import { DownloadError, downloadFiles, planDownload, type DownloadPlan } from '../../io/backboneDownload';
import type { BackboneFile, LoadBackboneOptions } from '../../model/backbone';
import type { BackboneSource } from '../../model/backboneSources';
import { getBackboneFiles, listBackbones } from '../../storage/backbones';
import { ErrorBanner, toShownError, type ShownError } from '../common/ErrorBanner';
import { ProgressBar } from '../common/ProgressBar';

type Phase =
  | { step: 'idle' }
  | { step: 'sizing' } // fetching model.json
  | { step: 'sized'; plan: DownloadPlan }
  | { step: 'downloading'; plan: DownloadPlan; received: number };

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** How a downloaded source is loaded: its name, size, range and URL go into the identity. */
export const sourceOptions = (s: Readonly<BackboneSource>): LoadBackboneOptions => ({
  name: s.name,
  inputSize: s.inputSize,
  range: s.range,
  source: s.url,
});

export function BackboneDownload({
  source,
  disabled,
  onFiles,
}: {
  source: Readonly<BackboneSource>;
  disabled: boolean;
  /** Stores and selects the file set (as for files chosen by hand). */
  onFiles: (files: BackboneFile[], options: LoadBackboneOptions) => Promise<void>;
}) {
  const [phase, setPhase] = useState<Phase>({ step: 'idle' });
  const [error, setError] = useState<ShownError | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  /** Runs one network step with a fresh AbortController; a cancel resets quietly, other errors show. */
  const guarded = async (work: (signal: AbortSignal) => Promise<void>) => {
    setError(null);
    const controller = new AbortController();
    abort.current = controller;
    try {
      await work(controller.signal);
    } catch (err) {
      setPhase({ step: 'idle' });
      if (!(err instanceof DownloadError && err.code === 'cancelled')) setError(toShownError(`Could not download ${source.name}`, err));
    } finally {
      if (abort.current === controller) abort.current = null;
    }
  };

  const size = () =>
    guarded(async (signal) => {
      const stored = (await listBackbones()).find((b) => b.identity.source === source.url);
      if (stored) return onFiles(await getBackboneFiles(stored.sha256), sourceOptions(source)); // offline: no fetch
      setPhase({ step: 'sizing' });
      setPhase({ step: 'sized', plan: await planDownload(source, { signal }) });
    });

  const download = (plan: DownloadPlan) =>
    guarded(async (signal) => {
      setPhase({ step: 'downloading', plan, received: 0 });
      const files = await downloadFiles(plan, (received) => setPhase({ step: 'downloading', plan, received }), { signal });
      setPhase({ step: 'idle' });
      await onFiles(files, sourceOptions(source));
    });

  const cancel = () => {
    abort.current?.abort();
    setPhase({ step: 'idle' });
  };

  return (
    <div className="backbone-download" data-testid="backbone-download">
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <div className="row">
        {phase.step === 'idle' || phase.step === 'sizing' ? (
          <button type="button" data-testid="download-backbone" disabled={disabled || phase.step === 'sizing'} onClick={() => void size()}>
            Download {source.name}
          </button>
        ) : (
          <>
            <span data-testid="download-size" data-bytes={phase.plan.weightBytes + phase.plan.modelJson.bytes.length}>
              {source.name}: {mb(phase.plan.weightBytes)} of weights ({phase.plan.weightBytes.toLocaleString('en')} bytes in{' '}
              {phase.plan.shards.length === 1 ? 'one file' : `${phase.plan.shards.length} files`}) from {phase.plan.origin}
            </span>
            {phase.step === 'sized' && (
              <button type="button" data-testid="download-confirm" disabled={disabled} onClick={() => void download(phase.plan)}>
                Download {mb(phase.plan.weightBytes)}
              </button>
            )}
          </>
        )}
        {phase.step !== 'idle' && (
          <button type="button" data-testid="download-cancel" onClick={cancel}>
            Cancel
          </button>
        )}
        {phase.step === 'sizing' && <span className="muted small">Reading model.json from {new URL(source.url).origin}…</span>}
        {phase.step === 'idle' && (
          <span className="muted small">
            fetched from {new URL(source.url).origin} only when you click, then kept in this browser for offline use
          </span>
        )}
      </div>
      {phase.step === 'downloading' && (
        <ProgressBar
          testId="download-progress"
          value={phase.received}
          max={phase.plan.weightBytes}
          label={`${mb(phase.received)} of ${mb(phase.plan.weightBytes)}`}
        />
      )}
    </div>
  );
}
