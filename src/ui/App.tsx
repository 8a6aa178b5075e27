// Root component: the lab's header and its panels (Data, Train, Use).
import { useState } from 'react';
import { DatasetPanel } from './dataset/DatasetPanel';

export function App() {
  const [openId, setOpenId] = useState<string | null>(null);
  return (
    <div className="app">
      <header className="app-header">
        <h1>CLIP Lab</h1>
        <span className="muted">Train image–text matching models in your browser. Your data never leaves this machine.</span>
      </header>
      <DatasetPanel openId={openId} onOpen={setOpenId} />
    </div>
  );
}
