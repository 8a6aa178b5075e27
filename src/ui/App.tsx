// Root component: the lab's panels.
export function App() {
  return <h1>CLIP Lab</h1>;
}
