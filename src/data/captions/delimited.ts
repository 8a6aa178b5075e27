// CSV and TSV caption files with a header row (Kaggle Flickr8k `captions.txt` and generic
// image/caption tables separated by `,`, tab, `;` or `|`), parsed with papaparse so RFC-4180
// quoting is honoured.
import Papa from 'papaparse';
import type { Split } from '../types';
import { CaptionParseError } from './errors';
import { CAPTION_KEYS, findColumn, IMAGE_KEYS, parseSplitValue, RecordSink, SPLIT_KEYS, SPLIT_VALUES_HINT } from './text';
import type { ParsedCaptions } from './types';

type DelimitedFormat = 'flickr8k-csv' | 'generic-csv' | 'generic-tsv';

/** Where each column lives; -1 when absent. */
export interface HeaderColumns {
  image: number;
  caption: number;
  split: number;
}

export function headerColumns(names: readonly string[]): HeaderColumns {
  return {
    image: findColumn(names, IMAGE_KEYS),
    caption: findColumn(names, CAPTION_KEYS),
    split: findColumn(names, SPLIT_KEYS),
  };
}

/** Delimiters a generic table may use, in order of preference. */
export const DELIMITERS = [',', '\t', ';', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

/**
 * The delimiter of a header line: the first of `DELIMITERS` whose cells name both an image and a
 * caption column; else the one that splits the line into the most cells; null if none splits it.
 */
export function guessDelimiter(headerLine: string): Delimiter | null {
  let best: Delimiter | null = null;
  let bestCells = 1;
  for (const d of DELIMITERS) {
    const cells = Papa.parse<string[]>(headerLine, { delimiter: d, quoteChar: '"' }).data[0] ?? [];
    const cols = headerColumns(cells);
    if (cells.length > 1 && cols.image !== -1 && cols.caption !== -1) return d;
    if (cells.length > bestCells) [best, bestCells] = [d, cells.length];
  }
  return best;
}

/** Number of '\n' in a parsed row, so quoted multi-line fields keep later line numbers right. */
function newlinesIn(row: readonly string[]): number {
  let n = 0;
  for (const field of row) {
    for (let i = field.indexOf('\n'); i !== -1; i = field.indexOf('\n', i + 1)) n++;
  }
  return n;
}

/** The first line that is not blank (the header). */
function firstLine(text: string): string {
  return text.split('\n', 64).find((l) => l.trim() !== '') ?? '';
}

function isBlankRow(row: readonly string[]): boolean {
  return row.every((f) => f.trim() === '');
}

/** Parses normalised text (LF line ends, no BOM) whose first line is a header. */
export function parseDelimited(file: string, text: string, format: DelimitedFormat): ParsedCaptions {
  const delimiter = format === 'generic-tsv' ? '\t' : format === 'flickr8k-csv' ? ',' : (guessDelimiter(firstLine(text)) ?? ',');
  const parsed = Papa.parse<string[]>(text, { delimiter, newline: '\n', quoteChar: '"', skipEmptyLines: false });
  const rows = parsed.data;
  // The header is the first non-blank row; `line` tracks the 1-based line each row ends on.
  let h = 0;
  let line = 0;
  while (h < rows.length - 1 && isBlankRow(rows[h])) line += 1 + newlinesIn(rows[h++]);
  const header = rows[h] ?? [];
  const headerLine = line + 1;
  line = headerLine + newlinesIn(header);
  const cols = headerColumns(header);
  const headerText = header.join(delimiter === '\t' ? '<TAB>' : delimiter);
  if (cols.image === -1 || cols.caption === -1) {
    throw new CaptionParseError(
      'unknown-format',
      file,
      headerLine,
      `expected a header naming an image column (${IMAGE_KEYS.join(', ')}) and a caption column (${CAPTION_KEYS.join(', ')}), found \`${headerText}\``,
    );
  }
  const badRows = new Map<number, string>();
  for (const e of parsed.errors) {
    if (e.type === 'Quotes' && e.row !== undefined) badRows.set(e.row, e.message);
  }

  const sink = new RecordSink(format, file);
  let entries = 0;
  for (let r = h + 1; r < rows.length; r++) {
    const row = rows[r];
    const rowLine = line + 1;
    line = rowLine + newlinesIn(row);
    if (isBlankRow(row)) continue;
    entries++;
    const quoteError = badRows.get(r);
    if (quoteError !== undefined) {
      const span = line > rowLine ? ` (lines ${rowLine}-${line} were read as one row)` : '';
      sink.issue(rowLine, `unbalanced quotes: ${quoteError}${span}`);
      continue;
    }
    if (row.length !== header.length) {
      sink.issue(rowLine, `expected \`${headerText}\` (${header.length} columns), found ${row.length} columns`);
      continue;
    }
    let split: Split | undefined;
    if (cols.split !== -1) {
      const s = parseSplitValue(row[cols.split]);
      if (s === null) {
        sink.issue(rowLine, `unknown split \`${row[cols.split].trim()}\` (expected ${SPLIT_VALUES_HINT}); caption kept without a split`);
      } else {
        split = s;
      }
    }
    sink.add(rowLine, row[cols.image], row[cols.caption], split);
  }
  return sink.finish(entries, `header \`${headerText}\` but no caption lines`);
}
