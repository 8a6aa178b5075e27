// Types shared by the caption-file parsers: the formats we recognise, their human names,
// skipped-line reports and the result of parsing one file.
import type { CaptionRecord } from '../types';

export type CaptionFormat = 'flickr8k-csv' | 'flickr8k-token' | 'flickr30k-csv' | 'coco-json' | 'generic-csv' | 'generic-tsv' | 'jsonl';

export const FORMAT_LABEL: Record<CaptionFormat, string> = {
  'flickr8k-csv': 'Flickr8k CSV (Kaggle captions.txt)',
  'flickr8k-token': 'Flickr8k token (Flickr8k.token.txt)',
  'flickr30k-csv': 'Flickr30k CSV (results.csv, `|`-separated)',
  'coco-json': 'COCO captions JSON (captions_*.json)',
  'generic-csv': 'CSV with image and caption columns (`,`, `;` or `|` separated)',
  'generic-tsv': 'TSV with image and caption columns',
  jsonl: 'JSON Lines (one {image, caption} object per line)',
};

/** A malformed line or entry that was skipped; `line` is 1-based, 0 when not line-based (JSON). */
export interface ParseIssue {
  file: string;
  line: number;
  message: string;
}

export interface ParsedCaptions {
  format: CaptionFormat;
  file: string;
  records: CaptionRecord[];
  issues: ParseIssue[];
}
