// The hidden file input that takes a TF.js model's files (model.json + weight shards), opened by a
// button beside it: one definition for the Train form's "choose files" and Use's "provide backbone".
import type { Ref } from 'react';

export function BackboneFilesInput({
  ref,
  testId,
  onFiles,
}: {
  ref: Ref<HTMLInputElement>;
  testId: string;
  onFiles: (files: FileList) => void;
}) {
  return (
    <input
      ref={ref}
      type="file"
      multiple
      hidden
      accept=".json,.bin,application/json,application/octet-stream"
      data-testid={testId}
      onChange={(e) => {
        if (e.target.files?.length) onFiles(e.target.files);
        e.target.value = '';
      }}
    />
  );
}
