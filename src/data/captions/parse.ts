// Entry point for one caption file: normalise the text, detect the format, run its parser.
import { parseDelimited } from './delimited';
import { detectFormat } from './detect';
import { CaptionParseError } from './errors';
import { parseFlickr30k } from './flickr30k';
import { parseFlickr8kToken } from './flickr8kToken';
import { jsonErrorLine, parseCocoObject, parseJsonl } from './json';
import { CAPTION_KEYS, findColumn, IMAGE_KEYS, normaliseText } from './text';
import type { ParsedCaptions } from './types';

function looksLikeJsonlObject(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return findColumn(keys, IMAGE_KEYS) !== -1 && findColumn(keys, [...CAPTION_KEYS, 'captions']) !== -1;
}

/** A whole JSON document (COCO), or JSON Lines in a file not named .jsonl. */
function parseJsonDocument(file: string, text: string): ParsedCaptions {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const firstLine = text.trimStart().split('\n', 1)[0];
    let firstIsObject = false;
    try {
      firstIsObject = looksLikeJsonlObject(JSON.parse(firstLine));
    } catch {
      // not JSON Lines either: report the document's syntax error below
    }
    if (firstIsObject) return parseJsonl(file, text);
    throw new CaptionParseError('malformed', file, jsonErrorLine(text, e), `invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return looksLikeJsonlObject(doc) ? parseJsonl(file, text) : parseCocoObject(file, doc);
}

/**
 * Detects the format of one caption file from its name and content and parses it. Malformed
 * lines are skipped and listed in `issues`; throws CaptionParseError when the file is empty,
 * not a caption file, or has no usable line.
 */
export function parseCaptionFile(file: string, text: string): ParsedCaptions {
  const clean = normaliseText(text);
  const format = detectFormat(file, clean);
  switch (format) {
    case 'flickr8k-csv':
    case 'generic-csv':
    case 'generic-tsv':
      return parseDelimited(file, clean, format);
    case 'flickr8k-token':
      return parseFlickr8kToken(file, clean);
    case 'flickr30k-csv':
      return parseFlickr30k(file, clean);
    case 'jsonl':
      return parseJsonl(file, clean);
    case 'coco-json':
    case 'json-document':
      return parseJsonDocument(file, clean);
  }
}
