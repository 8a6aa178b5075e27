// The one error type thrown by caption parsing, with a machine-readable `code` and the file
// and line it concerns, so the UI can say exactly what was expected and what was found.
import { LabError } from '../../errors';

export type CaptionParseErrorCode = 'empty' | 'unknown-format' | 'malformed';

export class CaptionParseError extends LabError<CaptionParseErrorCode> {
  override readonly name = 'CaptionParseError';
  readonly file: string;
  readonly line: number;

  /** `detail` is the part after the location, e.g. "expected `image,caption`, found 3 columns". */
  constructor(code: CaptionParseErrorCode, file: string, line: number, detail: string) {
    super(code, line > 0 ? `${file} line ${line}: ${detail}` : `${file}: ${detail}`);
    this.file = file;
    this.line = line;
  }
}
