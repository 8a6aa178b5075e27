// Flickr30k `results.csv`: `image_name| comment_number| comment`, `|`-separated with or without
// a space after each `|`, unquoted. Split by hand: captions may contain quote characters.
import { CaptionParseError } from './errors';
import { RecordSink } from './text';
import type { ParsedCaptions } from './types';

const HEADER = ['image_name', 'comment_number', 'comment'];

/** True when the first line is the Flickr30k header (names trimmed, case-insensitive). */
export function isFlickr30kHeader(firstLine: string): boolean {
  const names = firstLine.split('|').map((s) => s.trim().toLowerCase());
  return names.length === HEADER.length && names.every((n, i) => n === HEADER[i]);
}

/** Parses normalised text (LF line ends, no BOM) whose first line is the header. */
export function parseFlickr30k(file: string, text: string): ParsedCaptions {
  const lines = text.split('\n');
  let h = 0;
  while (h < lines.length - 1 && lines[h].trim() === '') h++;
  if (!isFlickr30kHeader(lines[h])) {
    throw new CaptionParseError(
      'unknown-format',
      file,
      h + 1,
      `expected header \`image_name| comment_number| comment\`, found \`${lines[h]}\``,
    );
  }
  const sink = new RecordSink('flickr30k-csv', file);
  let entries = 0;
  for (let i = h + 1; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.trim() === '') continue;
    entries++;
    const first = raw.indexOf('|');
    const second = first === -1 ? -1 : raw.indexOf('|', first + 1);
    if (second === -1) {
      const found = first === -1 ? 1 : 2;
      sink.issue(i + 1, `expected \`image_name| comment_number| comment\` (3 fields), found ${found} field${found === 1 ? '' : 's'}`);
      continue;
    }
    // Everything after the second `|` is the caption, even if it contains another `|`.
    sink.add(i + 1, raw.slice(0, first), raw.slice(second + 1));
  }
  return sink.finish(entries, 'header but no caption lines');
}
