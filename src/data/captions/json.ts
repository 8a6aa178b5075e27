// JSON caption files: COCO `captions_*.json` ({images, annotations}) and JSON Lines, one
// {image, caption} object per line using the same key names as generic CSV headers.
import { baseName } from '../sniff';
import { CaptionParseError } from './errors';
import { CAPTION_KEYS, findColumn, IMAGE_KEYS, parseSplitValue, RecordSink, SPLIT_KEYS, SPLIT_VALUES_HINT } from './text';
import type { ParsedCaptions } from './types';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** 1-based line of a JSON.parse failure, from the "position N" in V8's message; 0 if unknown. */
export function jsonErrorLine(text: string, error: unknown): number {
  const m = /position (\d+)/.exec(error instanceof Error ? error.message : '');
  if (!m) return 0;
  const pos = Math.min(Number(m[1]), text.length);
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Parses a COCO captions object that has already been through JSON.parse. */
export function parseCocoObject(file: string, doc: unknown): ParsedCaptions {
  if (!isObject(doc) || !Array.isArray(doc.images) || !Array.isArray(doc.annotations)) {
    const found = isObject(doc) ? `keys ${Object.keys(doc).slice(0, 8).join(', ') || '(none)'}` : describe(doc);
    throw new CaptionParseError(
      'unknown-format',
      file,
      0,
      `expected COCO captions JSON with \`images\` and \`annotations\` arrays, found ${found}`,
    );
  }
  const sink = new RecordSink('coco-json', file);
  const names = new Map<unknown, string>();
  doc.images.forEach((img: unknown, i: number) => {
    if (isObject(img) && typeof img.file_name === 'string' && (typeof img.id === 'number' || typeof img.id === 'string')) {
      names.set(img.id, img.file_name);
    } else {
      sink.issue(0, `images[${i}]: expected {id, file_name}, found ${describe(img)}`);
    }
  });
  doc.annotations.forEach((ann: unknown, i: number) => {
    if (!isObject(ann)) {
      sink.issue(0, `annotation ${i}: expected {image_id, caption}, found ${describe(ann)}`);
      return;
    }
    const name = names.get(ann.image_id);
    if (name === undefined) {
      sink.issue(0, `annotation ${i}: image_id ${JSON.stringify(ann.image_id)} is not in \`images\``);
    } else if (typeof ann.caption !== 'string') {
      sink.issue(0, `annotation ${i}: expected a string \`caption\`, found ${describe(ann.caption)}`);
    } else if (ann.caption.trim() === '') {
      sink.issue(0, `annotation ${i}: empty caption for ${name}`);
    } else if (baseName(name) === '') {
      sink.issue(0, `annotation ${i}: image_id ${JSON.stringify(ann.image_id)} has an empty file_name`);
    } else {
      sink.add(0, name, ann.caption);
    }
  });
  return sink.finish(doc.annotations.length, 'no annotations');
}

function stringField(obj: Record<string, unknown>, keys: readonly string[]): { key: string; value: unknown } | undefined {
  const names = Object.keys(obj);
  const i = findColumn(names, keys);
  return i === -1 ? undefined : { key: names[i], value: obj[names[i]] };
}

/** Parses normalised text with one JSON object per line. */
export function parseJsonl(file: string, text: string): ParsedCaptions {
  const sink = new RecordSink('jsonl', file);
  const lines = text.split('\n');
  let entries = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    entries++;
    const line = i + 1;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      sink.issue(line, `invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    if (!isObject(obj)) {
      sink.issue(line, `expected a JSON object, found ${describe(obj)}`);
      continue;
    }
    const image = stringField(obj, IMAGE_KEYS);
    const caption = stringField(obj, [...CAPTION_KEYS, 'captions']);
    if (image === undefined || typeof image.value !== 'string') {
      sink.issue(
        line,
        image
          ? `expected a string \`${image.key}\`, found ${describe(image.value)}`
          : `missing image name (expected one of the keys ${IMAGE_KEYS.join(', ')})`,
      );
      continue;
    }
    if (caption === undefined) {
      sink.issue(line, `missing caption (expected one of the keys ${CAPTION_KEYS.join(', ')})`);
      continue;
    }
    const texts = Array.isArray(caption.value) ? caption.value : [caption.value];
    if (texts.length === 0 || !texts.every((t): t is string => typeof t === 'string')) {
      sink.issue(line, `expected \`${caption.key}\` to be a string or an array of strings, found ${describe(caption.value)}`);
      continue;
    }
    const splitField = stringField(obj, SPLIT_KEYS);
    let split = splitField && typeof splitField.value === 'string' ? parseSplitValue(splitField.value) : undefined;
    if (split === null || (splitField && typeof splitField.value !== 'string')) {
      sink.issue(line, `unknown split ${JSON.stringify(splitField?.value)} (expected ${SPLIT_VALUES_HINT}); caption kept without a split`);
      split = undefined;
    }
    for (const t of texts) sink.add(line, image.value, t, split);
  }
  return sink.finish(entries);
}
