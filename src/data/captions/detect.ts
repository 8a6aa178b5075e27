// Decides which caption format a file is in from its name and first non-blank line, and
// which files in a dropped folder are worth trying as caption files at all.
import { baseName } from '../sniff';
import { isSplitListFile } from '../splits';
import { CaptionParseError } from './errors';
import { guessDelimiter } from './delimited';
import { isFlickr30kHeader } from './flickr30k';
import { TOKEN_LINE } from './flickr8kToken';
import type { CaptionFormat } from './types';

const CANDIDATE_EXT = /\.(txt|csv|tsv|json|jsonl)$/i;
/** Text files that sit beside captions in the Flickr8k archives but are not captions. */
const NOT_CAPTIONS = /^(readme|license|licence|changelog|expertannotations|crowdflowerannotations)\b/i;

/** .txt .csv .tsv .json .jsonl by name, excluding split lists, READMEs and macOS `._` shadow files. */
export function isCaptionFileCandidate(path: string): boolean {
  const name = baseName(path);
  if (!CANDIDATE_EXT.test(name) || name.startsWith('.') || /(^|[\\/])__MACOSX[\\/]/.test(path)) return false;
  return !isSplitListFile(name) && !NOT_CAPTIONS.test(name);
}

function firstNonBlankLine(text: string): string {
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    if (line.trim() !== '') return line;
    start = end + 1;
  }
  return '';
}

/** Header cells of a comma-separated first line, unquoted and lower-cased. */
function csvHeaderCells(line: string): string[] {
  return line.split(',').map((c) =>
    c
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .trim()
      .toLowerCase(),
  );
}

export type Detected = CaptionFormat | 'json-document';

/**
 * Format of normalised text (no BOM, LF line ends). 'json-document' means text starting with
 * `{` or `[` in a file not named .jsonl: COCO or JSON Lines, decided after JSON.parse.
 */
export function detectFormat(file: string, text: string): Detected {
  const first = firstNonBlankLine(text);
  if (first === '') throw new CaptionParseError('empty', file, 0, 'file is empty');
  const lead = first.trimStart()[0];
  if (lead === '{' || lead === '[') return /\.jsonl$/i.test(file) ? 'jsonl' : 'json-document';
  if (TOKEN_LINE.test(first)) return 'flickr8k-token';
  if (isFlickr30kHeader(first)) return 'flickr30k-csv';
  const delimiter = guessDelimiter(first);
  if (delimiter === '\t') return 'generic-tsv';
  if (delimiter === ',') {
    const cells = csvHeaderCells(first);
    return cells.length === 2 && cells[0] === 'image' && cells[1] === 'caption' ? 'flickr8k-csv' : 'generic-csv';
  }
  if (delimiter !== null) return 'generic-csv'; // `;` or `|`: parseDelimited guesses it again from the header
  const shown = first.length > 80 ? `${first.slice(0, 80)}…` : first;
  throw new CaptionParseError(
    'unknown-format',
    file,
    text.slice(0, text.indexOf(first)).split('\n').length,
    `expected a caption file (CSV/TSV with an image and a caption column, Flickr8k token, Flickr30k results.csv, COCO JSON or JSON Lines), found \`${shown}\``,
  );
}
