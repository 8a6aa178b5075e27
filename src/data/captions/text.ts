// Small text helpers shared by every caption parser: BOM and line-ending normalisation,
// split-value and column-name lookup, and turning rows into a result.
import { baseName } from '../sniff';
import type { CaptionRecord, Split } from '../types';
import { CaptionParseError } from './errors';
import type { CaptionFormat, ParsedCaptions, ParseIssue } from './types';

/** Strips a UTF-8 BOM and turns CRLF / lone CR into LF. */
export function normaliseText(text: string): string {
  const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return noBom.indexOf('\r') === -1 ? noBom : noBom.replace(/\r\n?/g, '\n');
}

/** Column / key names accepted for the image, caption and split fields (case-insensitive, in order of preference). */
export const IMAGE_KEYS = [
  'image',
  'file',
  'filename',
  'file_name',
  'filepath',
  'file_path',
  'image_name',
  'image_path',
  'image_file',
  'img',
  'path',
] as const;
export const CAPTION_KEYS = ['caption', 'text', 'title', 'comment', 'sentence', 'description'] as const;
export const SPLIT_KEYS = ['split'] as const;

/** Index of the first preferred name found in `names` (compared trimmed, lower-case), or -1. */
export function findColumn(names: readonly string[], wanted: readonly string[]): number {
  const lower = names.map((n) => n.trim().toLowerCase());
  for (const w of wanted) {
    const i = lower.indexOf(w);
    if (i !== -1) return i;
  }
  return -1;
}

const SPLIT_VALUE: Record<string, Split> = {
  train: 'train',
  training: 'train',
  restval: 'train', // Karpathy splits: the "rest of val" is used for training
  val: 'val',
  valid: 'val',
  validation: 'val',
  dev: 'val',
  test: 'test',
  testing: 'test',
};

/** Maps a split cell to a Split; '' -> undefined (no split); unknown -> null. */
export function parseSplitValue(value: string): Split | undefined | null {
  const v = value.trim().toLowerCase();
  if (v === '') return undefined;
  return SPLIT_VALUE[v] ?? null;
}

export const SPLIT_VALUES_HINT = 'train, val, dev, valid, validation or test';

/** Collects records and issues for one file; `finish` throws when nothing usable was found. */
export class RecordSink {
  readonly records: CaptionRecord[] = [];
  readonly issues: ParseIssue[] = [];
  constructor(
    readonly format: CaptionFormat,
    readonly file: string,
  ) {}

  issue(line: number, message: string): void {
    this.issues.push({ file: this.file, line, message });
  }

  /** Adds a record after checking image and caption; returns false (and records an issue) if unusable. */
  add(line: number, image: string, caption: string, split?: Split): boolean {
    const name = baseName(image);
    const text = caption.trim();
    if (name === '') {
      this.issue(line, 'missing image name');
      return false;
    }
    if (text === '') {
      this.issue(line, `empty caption for ${name}`);
      return false;
    }
    const record: CaptionRecord = { image: name, caption: text, line };
    if (split !== undefined) record.split = split;
    if (image.trim() !== name) record.written = image.trim();
    this.records.push(record);
    return true;
  }

  /** The parse result; throws 'empty' when there were no entries, 'malformed' when every entry was skipped. */
  finish(entries: number, emptyDetail = 'no captions found'): ParsedCaptions {
    if (this.records.length === 0) {
      if (entries === 0 && this.issues.length === 0) {
        throw new CaptionParseError('empty', this.file, 0, emptyDetail);
      }
      const first = this.issues[0];
      const detail = first
        ? `no usable captions: all ${this.issues.length} entries were skipped; first: ${first.message}`
        : 'no usable captions';
      throw new CaptionParseError('malformed', this.file, first?.line ?? 0, detail);
    }
    return { format: this.format, file: this.file, records: this.records, issues: this.issues };
  }
}
