// The Train form's image tower: a CNN trained from scratch, or a frozen pretrained backbone,
// downloaded on click (MobileNetV2, BackboneDownload) or loaded from TF.js files (model.json +
// weight shards, chosen or dropped). Shows what was found (graph or
// layers, input size, value range, output node, feature size; the node and range can be changed),
// then computes the dataset's features once (progress, ETA, Cancel; a pass cut short resumes).
// What each choice costs (download size, feature pass time) is said before it is made; the
// feature head's settings sit under "Head settings".
import { useEffect, useRef, useState, type DragEvent } from 'react';
import type { BackendName, BackboneIdentity } from '../../config';
import type { BackboneFile, LoadBackboneOptions, ValueRange } from '../../model/backbone';
import { MOBILENET_V2_IMAGENET } from '../../model/backboneSources';
import { storedFeatureChunks, type FeatureImages, type FeatureView } from '../../storage/features';
import { featureSources } from '../../use/backboneImages';
import type { BackboneInfo } from '../../use/modelService';
import { FeatureClient } from '../../workers/featureClient';
import { FEATURE_CHUNK, type FeatureProgress } from '../../workers/featureJob';
import { ModelClient } from '../../workers/modelClient';
import { BackboneFilesInput } from '../common/BackboneFilesInput';
import { ErrorBanner, toShownError, type ShownError } from '../common/ErrorBanner';
import { formatCount, formatDuration } from '../common/format';
import { ProgressBar } from '../common/ProgressBar';
import { BackboneDownload } from './BackboneDownload';
import { HEAD_FIELDS, NumberFields, type ConfigDraft } from './ConfigForm';
import { featurePassEstimate } from './featurePassEstimate';

type Backend = BackendName | 'auto';

/** Views a run trains on: the flipped one too when flipViews. */
const viewsOf = (draft: ConfigDraft): FeatureView[] => (draft.flipViews ? ['plain', 'flip'] : ['plain']);

/** Features stored for (dataset, backbone, views), counted in images × views, and which pixels they come from. */
async function storedCount(
  datasetId: string,
  backbone: BackboneIdentity,
  views: FeatureView[],
  images: number,
): Promise<{ n: number; from: FeatureImages }> {
  let n = 0;
  const sources = await featureSources(datasetId, backbone, views);
  for (const source of sources) {
    for (const c of await storedFeatureChunks(source)) n += Math.max(0, Math.min(FEATURE_CHUNK, images - c * FEATURE_CHUNK));
  }
  return { n, from: sources[0]?.images ?? 'original' };
}

export function ImageTowerChoice({
  draft,
  onChange,
  dataset,
  backend,
  disabled,
  onFeaturesReady,
  headError = null,
}: {
  draft: ConfigDraft;
  onChange: (d: ConfigDraft) => void;
  dataset: { id: string; storedImages: number } | null;
  backend: Backend;
  disabled: boolean;
  onFeaturesReady?: (ready: boolean) => void;
  headError?: string | null; // the draft's error when it is in a head field
}) {
  const [files, setFiles] = useState<BackboneFile[] | null>(null);
  const [info, setInfo] = useState<BackboneInfo | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [progress, setProgress] = useState<FeatureProgress | null>(null);
  const [stored, setStored] = useState<number | null>(null);
  const [from, setFrom] = useState<FeatureImages>('original');
  const [copied, setCopied] = useState(0); // images of an originals pass read from their copy (original missing or undecodable)
  const featureClient = useRef<FeatureClient | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const backbone = draft.imageTower === 'backbone' ? draft.backbone : null;
  const total = dataset ? dataset.storedImages * viewsOf(draft).length : 0;

  useEffect(() => () => featureClient.current?.close(), []);
  const passRunning = progress !== null;
  const flipViews = draft.flipViews;
  // Recounted when the backbone, dataset or views change, and when a pass ends.
  useEffect(() => {
    setStored(null);
    if (!backbone || !dataset || passRunning) return;
    let live = true;
    const views: FeatureView[] = flipViews ? ['plain', 'flip'] : ['plain'];
    void storedCount(dataset.id, backbone, views, dataset.storedImages).then((c) => {
      if (!live) return;
      setStored(c.n);
      setFrom(c.from);
    });
    return () => void (live = false);
  }, [backbone, dataset, flipViews, passRunning]);
  const ready = !!backbone && !!dataset && stored === total;
  useEffect(() => onFeaturesReady?.(ready), [ready, onFeaturesReady]);

  const store = async (chosen: BackboneFile[], options: LoadBackboneOptions = {}) => {
    setError(null);
    setBusy('Reading the model…');
    const client = new ModelClient();
    try {
      const name = options.name ?? chosen.find((f) => f.name.endsWith('.json'))?.name ?? 'model.json';
      // Copies cross to the worker (transferred): the page keeps its own to pick another node later.
      const copies = chosen.map((f) => ({ name: f.name, bytes: f.bytes.slice() }));
      const found = await client.storeBackbone({ files: copies, options: { ...options, name }, backend });
      setFiles(chosen);
      setInfo(found);
      onChange({ ...draft, imageTower: 'backbone', backbone: found.identity });
    } catch (err) {
      setError(toShownError('Could not use these files as a backbone', err));
    } finally {
      client.dispose();
      setBusy(null);
    }
  };
  const readFiles = async (list: FileList | File[]) =>
    store(await Promise.all([...list].map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) }))));
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    if (!disabled && e.dataTransfer.files.length) void readFiles(e.dataTransfer.files);
  };

  const computeFeatures = async () => {
    if (!backbone || !dataset) return;
    setError(null);
    const client = new FeatureClient();
    featureClient.current = client;
    setProgress({ done: stored ?? 0, total, computed: 0, imagesPerSec: null, etaSeconds: null });
    try {
      const result = await client.run({ datasetId: dataset.id, backbone, views: viewsOf(draft), backend }, (e) => {
        if (e.type === 'progress') setProgress(e.progress);
      });
      setCopied(result.source === 'original' ? result.fromCopies : 0);
    } catch (err) {
      setError(toShownError('The feature pass stopped', err));
    } finally {
      featureClient.current = null;
      setProgress(null);
    }
  };

  // Picking another node or range keeps the backbone's name, input size and source URL.
  const kept: LoadBackboneOptions = backbone
    ? { name: backbone.name, inputSize: backbone.inputSize, ...(backbone.source ? { source: backbone.source } : {}) }
    : {};
  const candidates = info?.candidates.filter((c) => c.shape.length === 1 || c.shape.length === 3) ?? [];
  return (
    <fieldset className="image-tower" disabled={disabled} data-testid="image-tower">
      <legend>Image tower</legend>
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <label className="tower-option">
        <input
          type="radio"
          name="image-tower"
          data-testid="tower-cnn"
          checked={draft.imageTower === 'cnn'}
          onChange={() => onChange({ ...draft, imageTower: 'cnn' })}
        />{' '}
        <strong>Train a small CNN from scratch</strong>{' '}
        <span className="muted small">
          — no download, no feature pass; it learns only from this dataset, so it needs many images and stays weak on real photos
        </span>
      </label>
      <label className="tower-option">
        <input
          type="radio"
          name="image-tower"
          data-testid="tower-backbone"
          checked={draft.imageTower === 'backbone'}
          onChange={() => onChange({ ...draft, imageTower: 'backbone' })}
        />{' '}
        <strong>Start from a pretrained image model (frozen)</strong>{' '}
        <span className="muted small">
          — better on real photos and small datasets: download MobileNetV2 or load a TF.js model from files
        </span>
      </label>
      {draft.imageTower === 'backbone' && (
        <div className="backbone-choice" onDragOver={(e) => e.preventDefault()} onDrop={onDrop} data-testid="backbone-drop">
          <p className="muted small" data-testid="backbone-costs">
            The pretrained model turns each image into features once; training then fits only a small head on those features, the text
            encoder and the classifier, so an epoch takes seconds. It costs a one-time download (MobileNetV2: about 9 MB, kept in this
            browser) and one feature pass over the dataset
            {dataset ? ` — ${featurePassEstimate(dataset.storedImages, viewsOf(draft).length)}` : ''}.
          </p>
          <BackboneDownload source={MOBILENET_V2_IMAGENET} disabled={!!busy} onFiles={store} />
          <div className="row">
            <button type="button" data-testid="choose-backbone" onClick={() => input.current?.click()} disabled={!!busy}>
              Choose model.json and weight files…
            </button>
            <span className="muted small">or drop them here</span>
            <BackboneFilesInput ref={input} testId="backbone-input" onFiles={(files) => void readFiles(files)} />
            {busy && <span data-testid="backbone-busy">{busy}</span>}
          </div>
          {backbone ? (
            <p
              data-testid="backbone-found"
              data-sha256={backbone.sha256}
              data-feature-size={backbone.featureSize}
              data-source={backbone.source ?? ''}
            >
              <strong>{backbone.name}</strong>: {backbone.kind} model, input {backbone.inputSize}×{backbone.inputSize} RGB, values in [
              {backbone.range.replace(',', ', ')}], output <code>{backbone.outputNode.split('/').slice(-2).join('/')}</code>,{' '}
              {backbone.featureSize} features · SHA-256 {backbone.sha256.slice(0, 12)}…
              {backbone.source && <> · downloaded from {new URL(backbone.source).origin}, stored in this browser</>}
            </p>
          ) : (
            <p className="muted">No backbone chosen yet: download one, or choose a model.json and all its weight shards.</p>
          )}
          {backbone && files && (
            <div className="row">
              <label title="The layer whose output becomes each image's features; the pooled one found automatically is usually right.">
                Output node{' '}
                <select
                  data-testid="backbone-node"
                  value={backbone.outputNode}
                  onChange={(e) => void store(files, { ...kept, outputNode: e.target.value, range: backbone.range })}
                >
                  {candidates.map((c) => (
                    <option key={c.node} value={c.node}>
                      {c.node.split('/').slice(-2).join('/')} [{c.shape.join(', ')}]
                    </option>
                  ))}
                </select>
              </label>
              <label title="The pixel values the model was trained on (see its documentation): a wrong range gives poor features.">
                Value range{' '}
                <select
                  data-testid="backbone-range"
                  value={backbone.range}
                  onChange={(e) => void store(files, { ...kept, outputNode: backbone.outputNode, range: e.target.value as ValueRange })}
                >
                  <option value="0,1">0 to 1 (pixels / 255)</option>
                  <option value="-1,1">-1 to 1</option>
                </select>
              </label>
            </div>
          )}
          {backbone && dataset && (
            <div className="row">
              <button type="button" data-testid="compute-features" disabled={!!progress || ready} onClick={() => void computeFeatures()}>
                {stored ? 'Compute the remaining features' : 'Compute features'}
              </button>
              {progress && (
                <button type="button" data-testid="cancel-features" onClick={() => featureClient.current?.cancel()}>
                  Cancel
                </button>
              )}
              <span data-testid="features-status" data-stored={stored ?? ''} data-total={total}>
                {ready
                  ? `Features ready (${formatCount(total)} image views)`
                  : `Features: ${stored == null ? '…' : formatCount(stored)} of ${formatCount(total)} image views stored`}
              </span>
            </div>
          )}
          {backbone && dataset && from === 'copy' && (
            <p className="muted small" data-testid="features-from-copies">
              Features from the 128-px copies: originals not stored.
            </p>
          )}
          {backbone && dataset && from === 'original' && copied > 0 && (
            <p className="muted small" data-testid="features-from-copies">
              {copied} {copied === 1 ? 'image' : 'images'} had no readable original: features from the 128-px copy.
            </p>
          )}
          {progress && (
            <ProgressBar
              testId="features-progress"
              value={progress.done}
              max={progress.total || 1}
              label={`${progress.done} / ${progress.total} image views${progress.imagesPerSec ? ` · ${progress.imagesPerSec.toFixed(1)} images/s · ETA ${formatDuration(progress.etaSeconds)}` : ''}`}
            />
          )}
          <label>
            <input
              type="checkbox"
              checked={draft.flipViews}
              data-testid="flip-views"
              onChange={(e) => onChange({ ...draft, flipViews: e.target.checked })}
            />{' '}
            Also train on mirrored images — a cheap augmentation that doubles the feature pass (a caption that says left or right keeps its
            unmirrored image)
          </label>
          <details className="advanced" data-testid="head-advanced">
            <summary>Head settings</summary>
            <p className="muted small">
              The head is the trained part of the image tower: it maps the backbone's features into the shared embedding.
            </p>
            <NumberFields fields={HEAD_FIELDS} draft={draft} onChange={onChange} />
          </details>
          {headError && (
            <p className="field-error" data-testid="head-error" role="alert">
              {headError}
            </p>
          )}
        </div>
      )}
    </fieldset>
  );
}
