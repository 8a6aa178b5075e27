// RGB pixels as an uncompressed 24-bit BMP file, pure: how a stored 128 px copy becomes an image
// the page can show (every browser decodes BMP) without a canvas or an encoder.

const FILE_HEADER = 14;
const INFO_HEADER = 40; // BITMAPINFOHEADER

/** Encodes `rgb` ([height, width, 3], top row first) as a BMP file's bytes. */
export function rgbToBmp(rgb: Uint8Array, width: number, height: number): Uint8Array<ArrayBuffer> {
  if (rgb.length !== width * height * 3) {
    throw new RangeError(`rgbToBmp: expected ${width}x${height}x3 = ${width * height * 3} bytes, found ${rgb.length}`);
  }
  const stride = (width * 3 + 3) & ~3; // rows are padded to 4 bytes
  const offset = FILE_HEADER + INFO_HEADER;
  const out = new Uint8Array(offset + stride * height);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0x4d42, true); // 'BM'
  v.setUint32(2, out.length, true);
  v.setUint32(10, offset, true);
  v.setUint32(14, INFO_HEADER, true);
  v.setInt32(18, width, true);
  v.setInt32(22, height, true); // positive: rows stored bottom-up
  v.setUint16(26, 1, true); // planes
  v.setUint16(28, 24, true); // bits per pixel
  v.setUint32(34, stride * height, true); // compression 0 (BI_RGB) at 30 stays 0
  v.setInt32(38, 2835, true); // 72 dpi
  v.setInt32(42, 2835, true);
  for (let y = 0; y < height; y++) {
    let src = (height - 1 - y) * width * 3;
    let dst = offset + y * stride;
    for (let x = 0; x < width; x++, src += 3, dst += 3) {
      out[dst] = rgb[src + 2]; // BGR
      out[dst + 1] = rgb[src + 1];
      out[dst + 2] = rgb[src];
    }
  }
  return out;
}
