// The original Flickr8k caption files `Flickr8k.token.txt` and `Flickr8k.lemma.token.txt`:
// one `name.jpg#k<TAB>caption` per line, k = 0..4, no header.
import { RecordSink } from './text';
import type { ParsedCaptions } from './types';

/** Matches the start of a token line: an image name, `#k`, then a tab. */
export const TOKEN_LINE = /^[^\t#]+#\d+\t/;

/** Parses normalised text (LF line ends, no BOM). */
export function parseFlickr8kToken(file: string, text: string): ParsedCaptions {
  const sink = new RecordSink('flickr8k-token', file);
  const lines = text.split('\n');
  let entries = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.trim() === '') continue;
    entries++;
    const line = i + 1;
    const tab = raw.indexOf('\t');
    if (tab === -1) {
      sink.issue(line, 'expected `name.jpg#k<TAB>caption`, found no tab');
      continue;
    }
    const key = raw.slice(0, tab).trim();
    const hash = key.lastIndexOf('#');
    const image = hash === -1 ? key : key.slice(0, hash);
    sink.add(line, image, raw.slice(tab + 1));
  }
  return sink.finish(entries);
}
