// Public API of the caption-file parsers: pure TypeScript, usable in Node and in a worker.
export type { CaptionFormat, ParseIssue, ParsedCaptions } from './types';
export { FORMAT_LABEL } from './types';
export { CaptionParseError, type CaptionParseErrorCode } from './errors';
export { isCaptionFileCandidate } from './detect';
export { parseCaptionFile } from './parse';
export { chooseCaptionFile, isLemmatised, type CaptionChoice } from './choose';
