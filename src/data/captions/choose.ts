// When a folder holds several caption files, parse them all and pick one, saying why it won
// and why each other file was not used.
import { CaptionParseError } from './errors';
import { parseCaptionFile } from './parse';
import { FORMAT_LABEL, type CaptionFormat, type ParsedCaptions } from './types';

/** Tie-break between equally large files: earlier is preferred. */
const FORMAT_PREFERENCE: CaptionFormat[] = [
  'flickr8k-csv',
  'flickr8k-token',
  'flickr30k-csv',
  'coco-json',
  'generic-csv',
  'generic-tsv',
  'jsonl',
];

/** Flickr8k.lemma.token.txt and similar hold lemmatised ("dog run") rather than natural captions. */
export function isLemmatised(file: string): boolean {
  return /(^|[\\/.])lemma[._]/i.test(file);
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function summary(p: ParsedCaptions): string {
  return `${fmt(p.records.length)} captions, ${FORMAT_LABEL[p.format]}`;
}

/** Negative when `a` should be chosen over `b`. */
function compare(a: ParsedCaptions, b: ParsedCaptions): number {
  return (
    Number(isLemmatised(a.file)) - Number(isLemmatised(b.file)) ||
    b.records.length - a.records.length ||
    FORMAT_PREFERENCE.indexOf(a.format) - FORMAT_PREFERENCE.indexOf(b.format) ||
    a.issues.length - b.issues.length ||
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)
  );
}

function whyNot(other: ParsedCaptions, chosen: ParsedCaptions): string {
  if (isLemmatised(other.file) && !isLemmatised(chosen.file)) {
    return `lemmatised captions (${summary(other)}); ${chosen.file} has the natural sentences`;
  }
  if (other.records.length < chosen.records.length) {
    return `fewer captions (${fmt(other.records.length)} vs ${fmt(chosen.records.length)} in ${chosen.file})`;
  }
  if (other.format !== chosen.format) return `same number of captions; ${FORMAT_LABEL[chosen.format]} is preferred`;
  return `same number of captions and format; ${chosen.file} has fewer skipped lines or comes first by name`;
}

function chooseReason(chosen: ParsedCaptions, rest: ParsedCaptions[], someFailed: boolean): string {
  if (rest.length === 0) return `the only caption file${someFailed ? ' that parsed' : ''} (${summary(chosen)})`;
  const lemmaLarger = rest.filter((r) => isLemmatised(r.file) && !isLemmatised(chosen.file) && r.records.length >= chosen.records.length);
  const rival = rest.find((r) => !lemmaLarger.includes(r));
  const base =
    rival === undefined || rival.records.length < chosen.records.length
      ? `most captions (${summary(chosen)})`
      : `preferred format among files with ${fmt(chosen.records.length)} captions (${FORMAT_LABEL[chosen.format]})`;
  if (lemmaLarger.length === 0) return base;
  return `${base}; natural captions preferred over the lemmatised ${lemmaLarger.map((r) => r.file).join(', ')}`;
}

export interface CaptionChoice {
  chosen: ParsedCaptions;
  reason: string;
  others: { file: string; reason: string }[];
}

/**
 * Picks the caption file to use: natural (not lemmatised) captions first, then the most
 * captions, then the preferred format. Files that fail to parse are listed with their error.
 * Throws CaptionParseError('unknown-format') when no file parses.
 */
export function chooseCaptionFile(files: { file: string; text: string }[]): CaptionChoice {
  const parsed: ParsedCaptions[] = [];
  const failed: { file: string; reason: string }[] = [];
  for (const { file, text } of files) {
    try {
      parsed.push(parseCaptionFile(file, text));
    } catch (e) {
      if (!(e instanceof CaptionParseError)) throw e;
      failed.push({ file, reason: `not usable: ${e.message}` });
    }
  }
  if (parsed.length === 0) {
    const tried = failed.map((f) => f.reason.replace(/^not usable: /, '')).join('; ');
    throw new CaptionParseError(
      'unknown-format',
      files.map((f) => f.file).join(', ') || '(no files)',
      0,
      `no caption file could be parsed${tried ? `: ${tried}` : ''}`,
    );
  }
  parsed.sort(compare);
  const [chosen, ...rest] = parsed;
  const reason = chooseReason(chosen, rest, failed.length > 0);
  return { chosen, reason, others: [...rest.map((r) => ({ file: r.file, reason: whyNot(r, chosen) })), ...failed] };
}
