// Image type sniffing from the first bytes of a file: tells a real JPEG from a text file named
// .png, and an SVG (vector, not decodable in a worker) from raster formats; file-name helpers. Pure.

export type SniffedType = 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp' | 'svg' | 'text' | 'empty' | 'unknown';

export const RASTER_EXTENSIONS = ['jpg', 'jpeg', 'png', 'gif', 'webp', 'bmp'] as const;
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

/** "images/train/a.jpg" or "C:\\x\\a.jpg" -> "a.jpg" (trimmed). */
export function baseName(path: string): string {
  const trimmed = path.trim();
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  return cut === -1 ? trimmed : trimmed.slice(cut + 1);
}

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
}

export function isImageName(name: string): boolean {
  return (RASTER_EXTENSIONS as readonly string[]).includes(extensionOf(name)) || extensionOf(name) === 'svg';
}

const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((v, i) => b[at + i] === v);

/** Identifies an image format from its leading bytes (pass at least the first 64). */
export function sniffImageType(head: Uint8Array): SniffedType {
  if (head.length === 0) return 'empty';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(head, [0x47, 0x49, 0x46, 0x38])) return 'gif';
  if (startsWith(head, [0x52, 0x49, 0x46, 0x46]) && startsWith(head, [0x57, 0x45, 0x42, 0x50], 8)) return 'webp';
  if (startsWith(head, [0x42, 0x4d]) && head.length >= 26) return 'bmp';
  let printable = 0;
  for (const c of head) if (c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 0x80) printable++;
  if (printable === head.length) {
    const text = new TextDecoder().decode(head).trimStart().toLowerCase();
    if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg')) || text.includes('<svg')) return 'svg';
    return 'text';
  }
  return 'unknown';
}

const LABEL: Record<SniffedType, string> = {
  jpeg: 'JPEG',
  png: 'PNG',
  gif: 'GIF',
  webp: 'WebP',
  bmp: 'BMP',
  svg: 'SVG',
  text: 'text',
  empty: 'empty',
  unknown: 'unknown binary',
};

/**
 * Why a file cannot be used as a raster image, or null when its bytes look like one.
 * The message says what its name promised and what its bytes are.
 */
export function rejectReason(name: string, head: Uint8Array, size: number): string | null {
  const type = sniffImageType(head);
  const ext = extensionOf(name).toUpperCase().replace('JPG', 'JPEG');
  if (size === 0 || type === 'empty') return 'empty file (0 bytes)';
  if (size > MAX_IMAGE_BYTES) return `file too large: ${(size / 2 ** 20).toFixed(1)} MiB (limit ${MAX_IMAGE_BYTES / 2 ** 20} MiB)`;
  if (type === 'svg') return 'SVG is a vector format: convert it to PNG or JPEG to use it';
  if (type === 'text') return `not an image: expected ${ext} data, found text`;
  if (type === 'unknown') return `not an image: expected ${ext} data, found ${LABEL[type]} content`;
  return null;
}
