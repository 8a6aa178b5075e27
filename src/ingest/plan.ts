// Pure ingestion planning: sorts a folder's files into caption files, split lists, images and
// ignored files; picks the caption file; matches captions to images by base name; assigns
// splits; and accounts for every skipped item in the report. No I/O: unit-tested in Node.
import { chooseCaptionFile, FORMAT_LABEL, isCaptionFileCandidate, type ParsedCaptions } from '../data/captions';
import { baseName, extensionOf, isImageName } from '../data/sniff';
import { assignSplits, isSplitListFile, parseSplitLists } from '../data/splits';
import type { Split } from '../data/types';
import { LabError } from '../errors';
import type { IngestReport } from '../storage/datasets';

export interface FolderEntry {
  path: string; // relative path inside the chosen folder, '/'-separated
  size: number;
}

export interface PlannedImage {
  path: string;
  name: string; // base name, the key captions use
  captions: string[];
  split: Split;
}

/** The plan: the images to import and the report's accounting of every other file (see IngestReport). */
export interface IngestPlan
  extends Pick<
    IngestReport,
    | 'format'
    | 'captionFile'
    | 'captionFileReason'
    | 'otherCaptionFiles'
    | 'imagesWithoutCaptions'
    | 'missingImages'
    | 'missingImageCaptions'
    | 'missingImageNames'
    | 'ignored'
    | 'duplicates'
    | 'parseIssues'
    | 'parseIssueCount'
    | 'splitSource'
    | 'splitCounts'
    | 'splitNotInLists'
  > {
  images: PlannedImage[];
  splitListAbsent: number; // images the split lists name that are not in the folder
}

export type IngestPlanErrorCode = 'no-images' | 'no-captions' | 'no-matches' | 'resume-mismatch';

export class IngestPlanError extends LabError<IngestPlanErrorCode> {
  override readonly name = 'IngestPlanError';
}

const LIST_CAP = 200;

/** Which files must be read as text before planning (caption candidates and split lists). */
export function textFilesToRead(entries: FolderEntry[]): FolderEntry[] {
  return entries.filter(
    (e) => !isImageName(e.path) && (isCaptionFileCandidate(e.path) || isSplitListFile(e.path)) && e.size < 256 * 2 ** 20,
  );
}

export function planIngest(entries: FolderEntry[], texts: Map<string, string>, seed: number): IngestPlan {
  const ignored: IngestPlan['ignored'] = [];
  const imagePaths = new Map<string, string>(); // base name -> first path
  const duplicates: string[] = [];
  const captionFiles: { file: string; text: string }[] = [];
  const splitFiles: { file: string; text: string }[] = [];

  for (const e of entries) {
    const name = baseName(e.path);
    if (name.startsWith('.') || name === 'Thumbs.db' || name === 'desktop.ini') {
      ignored.push({ name: e.path, reason: 'hidden or system file' });
    } else if (isImageName(e.path)) {
      if (imagePaths.has(name)) duplicates.push(e.path);
      else imagePaths.set(name, e.path);
    } else if (texts.has(e.path) && isSplitListFile(e.path)) {
      splitFiles.push({ file: e.path, text: texts.get(e.path)! });
    } else if (texts.has(e.path)) {
      captionFiles.push({ file: e.path, text: texts.get(e.path)! });
    } else {
      const ext = extensionOf(name);
      ignored.push({ name: e.path, reason: ext ? `not an image or caption file (.${ext})` : 'not an image or caption file' });
    }
  }
  if (imagePaths.size === 0) {
    throw new IngestPlanError(
      'no-images',
      `No images found among ${entries.length} files: expected .jpg, .jpeg, .png, .webp, .gif or .bmp files.`,
    );
  }
  if (captionFiles.length === 0) {
    throw new IngestPlanError(
      'no-captions',
      `No caption file found beside ${imagePaths.size} images: expected captions.txt, Flickr8k.token.txt, results.csv, captions_*.json, or a CSV/TSV/JSONL with image and caption columns.`,
    );
  }
  const choice = chooseCaptionFile(captionFiles);
  const parsed: ParsedCaptions = choice.chosen;

  // Captions per image name, and captions naming images that are not in the folder.
  const byImage = new Map<string, string[]>();
  const perCaptionSplit = new Map<string, Split>();
  const missing: IngestPlan['missingImages'] = [];
  const missingNames = new Set<string>();
  let missingImageCaptions = 0;
  for (const r of parsed.records) {
    if (!imagePaths.has(r.image)) {
      missingImageCaptions++;
      missingNames.add(r.image);
      if (missing.length < LIST_CAP) missing.push({ image: r.written ?? r.image, file: parsed.file, line: r.line });
      continue;
    }
    const list = byImage.get(r.image);
    if (list) list.push(r.caption);
    else byImage.set(r.image, [r.caption]);
    if (r.split) perCaptionSplit.set(r.image, r.split);
  }
  const imagesWithoutCaptions = [...imagePaths.keys()].filter((n) => !byImage.has(n)).sort();
  const names = [...byImage.keys()].sort();
  if (names.length === 0) {
    throw new IngestPlanError(
      'no-matches',
      `None of the ${parsed.records.length} captions in ${parsed.file} names one of the ${imagePaths.size} images in the folder (first caption names "${parsed.records[0]?.image}").`,
    );
  }
  const lists = splitFiles.length ? parseSplitLists(splitFiles) : undefined;
  const splits = assignSplits(names, { lists, perCaption: perCaptionSplit.size ? perCaptionSplit : undefined, seed });
  let splitListAbsent = 0;
  for (const listed of lists?.keys() ?? []) if (!imagePaths.has(listed)) splitListAbsent++;

  return {
    images: names.map((name) => ({ path: imagePaths.get(name)!, name, captions: byImage.get(name)!, split: splits.split.get(name)! })),
    format: FORMAT_LABEL[parsed.format],
    captionFile: parsed.file,
    captionFileReason: choice.reason,
    otherCaptionFiles: choice.others,
    imagesWithoutCaptions,
    missingImages: missing,
    missingImageCaptions,
    missingImageNames: missingNames.size,
    ignored,
    duplicates,
    parseIssues: parsed.issues.slice(0, LIST_CAP),
    parseIssueCount: parsed.issues.length,
    splitSource: splits.source,
    splitCounts: splits.counts,
    splitNotInLists: splits.notInLists,
    splitListAbsent,
  };
}

/** Histogram of captions per image ("5" -> count) and the vocabulary size of the captions. */
export function captionStats(captions: string[][]): { histogram: Record<string, number>; vocabularySize: number } {
  const histogram: Record<string, number> = {};
  const vocab = new Set<string>();
  for (const cs of captions) {
    histogram[cs.length] = (histogram[cs.length] ?? 0) + 1;
    for (const c of cs) for (const w of c.toLowerCase().split(/[^\p{L}\p{N}']+/u)) if (w) vocab.add(w);
  }
  return { histogram, vocabularySize: vocab.size };
}

/** What decoding and storing found, beside the plan. */
export interface IngestOutcome {
  stored: number; // usable images in the dataset now (a resume counts the earlier ones too)
  corrupt: IngestReport['corrupt']; // planned images that failed to decode, by path
  processed: number; // images decoded (or failed) in this session
  seconds: number;
}

/** The import report: the plan's accounting of every file plus what decoding found. Built here only. */
export function ingestReport(plan: IngestPlan, outcome: IngestOutcome): IngestReport {
  const skipped = new Set(outcome.corrupt.map((c) => c.name));
  const kept = plan.images.filter((i) => !skipped.has(i.path));
  const stats = captionStats(kept.map((i) => i.captions));
  const splitCounts = { train: 0, val: 0, test: 0 };
  for (const i of kept) splitCounts[i.split]++;
  return {
    format: plan.format,
    captionFile: plan.captionFile,
    captionFileReason: plan.captionFileReason,
    otherCaptionFiles: plan.otherCaptionFiles,
    images: outcome.stored,
    captions: kept.reduce((n, i) => n + i.captions.length, 0),
    captionsPerImage: stats.histogram,
    vocabularySize: stats.vocabularySize,
    imagesWithoutCaptions: plan.imagesWithoutCaptions,
    missingImages: plan.missingImages,
    missingImageCaptions: plan.missingImageCaptions,
    missingImageNames: plan.missingImageNames,
    corrupt: outcome.corrupt,
    ignored: plan.ignored,
    duplicates: plan.duplicates,
    parseIssues: plan.parseIssues,
    parseIssueCount: plan.parseIssueCount,
    splitSource: plan.splitSource,
    splitCounts,
    splitNotInLists: plan.splitNotInLists,
    splitListAbsent: plan.splitListAbsent,
    seconds: outcome.seconds,
    imagesPerSecond: outcome.processed / Math.max(outcome.seconds, 1e-3),
  };
}
