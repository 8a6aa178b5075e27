// A file dropped outside a drop zone would make the browser open it and leave the page (mid-
// training, that loses the run's live view). This hook stops that and returns a short note saying
// where drops go; the note clears itself after a few seconds.
import { useEffect, useState } from 'react';

const NOTE =
  "That drop landed outside a drop zone, so it was ignored (the page stays). Drop a dataset folder on the Data tab's drop zone, or an image on the Use tab's image box.";

export function useDropGuard(): string | null {
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    let timer: number | undefined;
    // Drop zones call preventDefault themselves; anything still unhandled at the window is stopped here.
    const onDragOver = (e: DragEvent) => {
      if (!e.defaultPrevented) {
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = 'none';
      }
    };
    const onDrop = (e: DragEvent) => {
      if (e.defaultPrevented) return;
      e.preventDefault();
      if (!e.dataTransfer?.types.includes('Files')) return;
      setNote(NOTE);
      window.clearTimeout(timer);
      timer = window.setTimeout(() => setNote(null), 8000);
    };
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('drop', onDrop);
      window.clearTimeout(timer);
    };
  }, []);
  return note;
}
