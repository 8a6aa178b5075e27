// Root component: the lab's header and its panels — Data (import, browse), Train (live curves,
// runs) and Use (score, search, export/import) — sharing the open dataset. Tabs follow the WAI-ARIA
// tabs pattern (arrow keys, Home, End); a run that a reload interrupted is offered for Resume here.
import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { getSetting, putSetting } from '../storage/settings';
import type { DatasetMeta } from '../storage/datasets';
import type { RunMeta } from '../storage/runs';
import { DatasetPanel } from './dataset/DatasetPanel';
import { useDropGuard } from './common/useDropGuard';
import { InterruptedRunBanner } from './train/InterruptedRunBanner';
import { TrainPanel } from './train/TrainPanel';
import { type ImageToUse, UsePanel } from './use/UsePanel';

type Tab = 'data' | 'train' | 'use';
const TABS: { id: Tab; label: string }[] = [
  { id: 'data', label: 'Data' },
  { id: 'train', label: 'Train' },
  { id: 'use', label: 'Use' },
];

export function App() {
  const [openId, setOpenIdState] = useState<string | null>(null);
  const [datasets, setDatasets] = useState<DatasetMeta[]>([]);
  const [tab, setTab] = useState<Tab>('data');
  const tabRefs = useRef(new Map<Tab, HTMLButtonElement>());
  const setOpenId = useCallback((id: string | null) => {
    setOpenIdState(id);
    void putSetting('openDataset', id);
  }, []);
  const onDatasetsChanged = useCallback((d: DatasetMeta[]) => setDatasets(d), []);
  const [runsVersion, setRunsVersion] = useState(0);
  const onRunsChanged = useCallback(() => setRunsVersion((v) => v + 1), []);
  // The run Use should load: the one just trained, or the one "Try it" named.
  const [useRunId, setUseRunId] = useState<string | null>(null);
  // A dataset image the gallery sent to Use for scoring.
  const [useImage, setUseImage] = useState<ImageToUse | null>(null);
  // A run the interrupted-run banner asked the Train panel to resume.
  const [resumeRequest, setResumeRequest] = useState<RunMeta | null>(null);
  const dropNote = useDropGuard();
  // After a reload, reopen the dataset that was open (if it is still stored and complete).
  useEffect(() => {
    void getSetting<string | null>('openDataset').then((id) => {
      if (id) setOpenIdState((cur) => cur ?? id);
    });
  }, []);
  useEffect(() => {
    if (openId && datasets.length && !datasets.some((d) => d.id === openId && d.status === 'complete')) setOpenIdState(null);
  }, [datasets, openId]);

  const onTabKey = (e: KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1 + TABS.length, Home: 0, End: TABS.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    const t = TABS[next % TABS.length].id;
    setTab(t);
    tabRefs.current.get(t)?.focus();
  };

  return (
    <div className="app">
      <header className="app-header">
        <h1>CLIP Lab</h1>
        <span className="muted">Train image–text matching models in your browser. Your data never leaves this machine.</span>
      </header>
      {dropNote && (
        <p className="notice" role="status" data-testid="drop-note">
          {dropNote}
        </p>
      )}
      <InterruptedRunBanner
        onResume={(r) => {
          if (r.datasetId) setOpenId(r.datasetId);
          setResumeRequest(r);
          setTab('train');
        }}
      />
      <div className="tabs" role="tablist" aria-label="Panels" onKeyDown={onTabKey}>
        {TABS.map((t) => (
          <button
            key={t.id}
            ref={(el) => void (el ? tabRefs.current.set(t.id, el) : tabRefs.current.delete(t.id))}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-controls={`panel-${t.id}`}
            aria-selected={tab === t.id}
            tabIndex={tab === t.id ? 0 : -1}
            data-testid={`tab-${t.id}`}
            onClick={() => setTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="panel-data" aria-labelledby="tab-data" hidden={tab !== 'data'}>
        <DatasetPanel
          openId={openId}
          onOpen={setOpenId}
          onDatasetsChanged={onDatasetsChanged}
          onScoreImage={(datasetId, index, intent) => {
            setUseImage({ datasetId, index, intent, nonce: Date.now() });
            setTab('use');
          }}
        />
      </div>
      <div role="tabpanel" id="panel-train" aria-labelledby="tab-train" hidden={tab !== 'train'}>
        <TrainPanel
          datasets={datasets}
          datasetId={openId}
          onDatasetChange={setOpenId}
          runsVersion={runsVersion}
          onRunsChanged={onRunsChanged}
          resumeRequest={resumeRequest}
          onResumeHandled={() => setResumeRequest(null)}
          onTrained={setUseRunId}
          onTryIt={(runId) => {
            setUseRunId(runId);
            setTab('use');
          }}
        />
      </div>
      <div role="tabpanel" id="panel-use" aria-labelledby="tab-use" hidden={tab !== 'use'}>
        {tab === 'use' && (
          <UsePanel
            datasets={datasets}
            runsVersion={runsVersion}
            onRunsChanged={onRunsChanged}
            runToLoad={useRunId}
            imageToUse={useImage}
          />
        )}
      </div>
    </div>
  );
}
