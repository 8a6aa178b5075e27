"""The lab's image pipeline as numpy (the spec in a version-2 file's `preprocessing`): decode, EXIF
upright, RGB (alpha dropped), centre square crop, exact area average to the stored side (128),
uint8 with round-half-up, then area average (shrink) or bilinear (enlarge) to the model's side,
uint8 again, / 255. Bit for bit what the Node trainer computes from the same decoded pixels
(src/train/node/image.ts, src/train/pixels.ts); the decoder (Pillow's libjpeg vs jpeg-js, or the
browser's) is where end-to-end scores differ — see the README for the measured bound."""
import math

import numpy as np
from PIL import Image, ImageOps

STORED_SIDE = 128


def _area_taps(start, span, to):
    """Box-filter taps (index [to, K], weight [to, K], float64): source [start, start + span) cut into
    `to` equal cells, weighted by overlap (Node's areaTaps); unused taps have weight 0."""
    scale = span / to
    taps = []
    for o in range(to):
        a = start + o * scale
        b = a + scale
        row = [(i, (min(b, i + 1) - max(a, i)) / scale) for i in range(math.floor(a), math.ceil(b))
               if min(b, i + 1) - max(a, i) > 1e-9]
        taps.append(row)
    return _pack(taps, np.float64)


def _pack(taps, dtype):
    K = max(len(r) for r in taps)
    index = np.zeros((len(taps), K), np.int64)
    weight = np.zeros((len(taps), K), dtype)
    for o, row in enumerate(taps):
        for k, (i, w) in enumerate(row):
            index[o, k], weight[o, k] = i, w
    return index, weight


def _apply(x, axis, index, weight):
    """Resamples axis `axis` of float64 x with taps, summing tap by tap in order (as the lab's loops)."""
    out = 0
    for k in range(index.shape[1]):
        shape = [1] * x.ndim
        shape[axis] = -1
        out = out + np.take(x, index[:, k], axis=axis) * weight[:, k].astype(np.float64).reshape(shape)
    return out


def _round(x):
    return np.floor(x + 0.5).clip(0, 255).astype(np.uint8)  # Math.round on values >= 0


def centre_crop_resize(rgb, size=STORED_SIDE):
    """[H, W, 3] uint8 -> [size, size, 3] uint8: the centre square (fractional offset), exact area average."""
    h, w = rgb.shape[:2]
    side = min(h, w)
    tmp = _apply(rgb.astype(np.float64), 1, *_area_taps((w - side) / 2, side, size)).astype(np.float32)  # [H, size, 3], float32 as Node
    return _round(_apply(tmp.astype(np.float64), 0, *_area_taps((h - side) / 2, side, size)))


def _axis_taps(src, dst):
    """Taps of src/train/pixels.ts (float32 weights): box filter when shrinking, bilinear (+0.5 centres, clamped) when enlarging."""
    scale = src / dst
    taps = []
    for o in range(dst):
        if scale >= 1:
            start, end = o * scale, (o + 1) * scale
            row = [(i, (min(end, i + 1) - max(start, i)) / scale) for i in range(math.floor(start), min(src, math.ceil(end)))
                   if min(end, i + 1) - max(start, i) > 0]
        else:
            pos = min(max((o + 0.5) * scale - 0.5, 0), src - 1)
            i0 = math.floor(pos)
            frac = pos - i0
            row = [(i0, 1 - frac)] + ([(i0 + 1, frac)] if frac > 0 else [])
        taps.append(row)
    return _pack(taps, np.float32)


def resize_square(pixels, size):
    """[N, R, R, 3] (or [R, R, 3]) uint8 -> [N, size, size, 3] uint8, the lab's resizeImages."""
    single = pixels.ndim == 3
    x = pixels[None] if single else pixels
    if x.shape[1] != size:
        taps = _axis_taps(x.shape[1], size)
        rows = _apply(x.astype(np.float64), 2, *taps).astype(np.float32)  # horizontal pass, float32 (as the lab)
        x = _round(_apply(rows.astype(np.float64), 1, *taps))
    return x[0] if single else x


def decode(image):
    """A path, bytes-like file or PIL image -> upright [H, W, 3] uint8 RGB (EXIF orientation applied, alpha dropped)."""
    if not isinstance(image, Image.Image):
        image = Image.open(image)
    image = ImageOps.exif_transpose(image)
    if image.mode != 'RGB':
        image = image.convert('RGB')  # alpha dropped, not composited (as the Node trainer)
    return np.asarray(image, dtype=np.uint8)


def stored_pixels(image, stored_side=STORED_SIDE):
    """What the lab stores for an image: [stored_side, stored_side, 3] uint8."""
    return centre_crop_resize(decode(image), stored_side)


def preprocess(image, image_size, stored_side=STORED_SIDE):
    """A PIL image (or path) -> float32 [image_size, image_size, 3] in 0..1, the model's input (NHWC)."""
    return resize_square(stored_pixels(image, stored_side), image_size).astype(np.float32) / 255


def flat_bottom_fraction(rgb):
    """Share of bottom rows that are one flat mid-grey fill (a browser's corrupt-JPEG fill); src/data/decode.ts."""
    size = rgb.shape[0]
    r, g, b = (int(v) for v in rgb[-1, -1])
    if not (abs(r - g) <= 6 and abs(g - b) <= 6 and 96 <= r <= 160):
        return 0.0
    flat = 0
    for y in range(size - 1, -1, -1):
        row = rgb[y].astype(np.int16)
        if np.abs(row[1:] - row[0]).max(initial=0) > 2:
            break
        flat += 1
    return flat / size
