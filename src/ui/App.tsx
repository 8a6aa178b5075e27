// Root component: the lab's header and its panels — Data (import, browse), Train (live curves,
// runs) and Use (score, search, export/import) — sharing the open dataset.
import { useCallback, useEffect, useState } from 'react';
import { getSetting, putSetting } from '../storage/settings';
import type { DatasetMeta } from '../storage/datasets';
import { DatasetPanel } from './dataset/DatasetPanel';
import { TrainPanel } from './train/TrainPanel';
import { UsePanel } from './use/UsePanel';

type Tab = 'data' | 'train' | 'use';

export function App() {
  const [openId, setOpenIdState] = useState<string | null>(null);
  const [datasets, setDatasets] = useState<DatasetMeta[]>([]);
  const [tab, setTab] = useState<Tab>('data');
  const setOpenId = useCallback((id: string | null) => {
    setOpenIdState(id);
    void putSetting('openDataset', id);
  }, []);
  const onDatasetsChanged = useCallback((d: DatasetMeta[]) => setDatasets(d), []);
  const [runsVersion, setRunsVersion] = useState(0);
  const onRunsChanged = useCallback(() => setRunsVersion((v) => v + 1), []);
  // After a reload, reopen the dataset that was open (if it is still stored and complete).
  useEffect(() => {
    void getSetting<string | null>('openDataset').then((id) => {
      if (id) setOpenIdState((cur) => cur ?? id);
    });
  }, []);
  useEffect(() => {
    if (openId && datasets.length && !datasets.some((d) => d.id === openId && d.status === 'complete')) setOpenIdState(null);
  }, [datasets, openId]);
  const tabButton = (t: Tab, label: string) => (
    <button type="button" role="tab" aria-selected={tab === t} data-testid={`tab-${t}`} onClick={() => setTab(t)}>
      {label}
    </button>
  );
  return (
    <div className="app">
      <header className="app-header">
        <h1>CLIP Lab</h1>
        <span className="muted">Train image–text matching models in your browser. Your data never leaves this machine.</span>
      </header>
      <nav className="tabs" role="tablist">
        {tabButton('data', 'Data')}
        {tabButton('train', 'Train')}
        {tabButton('use', 'Use')}
      </nav>
      <div hidden={tab !== 'data'}>
        <DatasetPanel openId={openId} onOpen={setOpenId} onDatasetsChanged={onDatasetsChanged} />
      </div>
      <div hidden={tab !== 'train'}>
        <TrainPanel datasets={datasets} datasetId={openId} onDatasetChange={setOpenId} runsVersion={runsVersion} onRunsChanged={onRunsChanged} />
      </div>
      {tab === 'use' && <UsePanel datasets={datasets} runsVersion={runsVersion} onRunsChanged={onRunsChanged} />}
    </div>
  );
}
