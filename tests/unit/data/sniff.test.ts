// Image type sniffing by magic bytes, and the reason a file is rejected before decoding:
// what its name promised and what its bytes are.
import { describe, expect, it } from 'vitest';
import { extensionOf, isImageName, MAX_IMAGE_BYTES, rejectReason, sniffImageType, type SniffedType } from '../../../src/data/sniff';

const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : p)));
const pad = (head: Uint8Array, n = 64) => {
  const out = new Uint8Array(Math.max(n, head.length));
  out.set(head);
  for (let i = head.length; i < out.length; i++) out[i] = (i * 37) & 0xff; // binary tail
  return out;
};

describe('sniffImageType', () => {
  it.each<[string, Uint8Array, SniffedType]>([
    ['JPEG (JFIF)', pad(bytes([0xff, 0xd8, 0xff, 0xe0])), 'jpeg'],
    ['JPEG (Exif)', pad(bytes([0xff, 0xd8, 0xff, 0xe1])), 'jpeg'],
    ['JPEG magic then garbage', bytes([0xff, 0xd8, 0xff], 'garbage garbage'), 'jpeg'],
    ['PNG', pad(bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'png'],
    ['GIF87a', pad(bytes('GIF87a')), 'gif'],
    ['GIF89a', pad(bytes('GIF89a')), 'gif'],
    ['WebP', pad(bytes('RIFF', [0x10, 0, 0, 0], 'WEBPVP8 ')), 'webp'],
    ['RIFF but WAVE', pad(bytes('RIFF', [0x10, 0, 0, 0], 'WAVEfmt ')), 'unknown'],
    ['BMP', pad(bytes('BM')), 'bmp'],
    ['"BM" text too short for a BMP header', bytes('BM hello'), 'text'],
    ['empty', new Uint8Array(0), 'empty'],
    ['SVG', bytes('<svg xmlns="http://www.w3.org/2000/svg" width="10"/>'), 'svg'],
    ['SVG after XML prolog and whitespace', bytes('\n  <?xml version="1.0"?>\n<svg>'), 'svg'],
    ['SVG after a doctype', bytes('<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"><svg>'), 'svg'],
    ['plain text', bytes('this is not a PNG, it is a note\n'), 'text'],
    ['UTF-8 text', bytes('Ein Hund läuft über die Wiese.'), 'text'],
    ['HTML', bytes('<html><body>hi</body></html>'), 'text'],
    ['PDF', pad(bytes('%PDF-1.7\n', [0, 1, 2, 3])), 'unknown'],
    ['ZIP', pad(bytes([0x50, 0x4b, 0x03, 0x04])), 'unknown'],
    ['half a PNG signature', pad(bytes([0x89, 0x50, 0x4e, 0x47, 0, 0])), 'unknown'],
  ])('%s -> %s', (_what, head, type) => {
    expect(sniffImageType(head)).toBe(type);
  });
});

describe('rejectReason', () => {
  const jpeg = pad(bytes([0xff, 0xd8, 0xff, 0xe0]));
  it.each<[string, Uint8Array, number, string | null]>([
    ['photo.jpg', jpeg, 5000, null],
    ['photo.png', jpeg, 5000, null], // a JPEG named .png still decodes: the bytes decide
    ['empty.jpg', new Uint8Array(0), 0, 'empty file (0 bytes)'],
    ['notes.png', bytes('shopping list: eggs, milk'), 25, 'not an image: expected PNG data, found text'],
    ['notes.jpg', bytes('shopping list'), 13, 'not an image: expected JPEG data, found text'],
    ['vector.svg', bytes('<svg xmlns="http://www.w3.org/2000/svg"/>'), 40, 'SVG is a vector format: convert it to PNG or JPEG to use it'],
    ['sneaky.png', bytes('<?xml version="1.0"?><svg/>'), 30, 'SVG is a vector format: convert it to PNG or JPEG to use it'],
    ['doc.webp', pad(bytes('%PDF-1.7\n', [0, 1])), 900, 'not an image: expected WEBP data, found unknown binary content'],
    ['huge.jpg', jpeg, MAX_IMAGE_BYTES + 1, 'file too large: 64.0 MiB (limit 64 MiB)'],
  ])('%s', (name, head, size, reason) => {
    expect(rejectReason(name, head, size)).toBe(reason);
  });
});

describe('names', () => {
  it.each([
    ['a.JPG', 'jpg', true],
    ['dir/a.jpeg', 'jpeg', true],
    ['a.webp', 'webp', true],
    ['a.svg', 'svg', true],
    ['a.tiff', 'tiff', false],
    ['captions.txt', 'txt', false],
    ['noext', '', false],
  ])('%s: extension %s, image name %s', (name, ext, image) => {
    expect(extensionOf(name)).toBe(ext);
    expect(isImageName(name)).toBe(image);
  });
});
