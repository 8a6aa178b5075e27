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


def _area_matrix(start, span, to, length):
    """[to, length] box-filter weights: source [start, start + span) cut into `to` equal cells (Node's areaTaps)."""
    scale = span / to
    w = np.zeros((to, length))
    for o in range(to):
        a = start + o * scale
        b = a + scale
        for i in range(math.floor(a), math.ceil(b)):
            overlap = min(b, i + 1) - max(a, i)
            if overlap > 1e-9:
                w[o, i] = overlap / scale
    return w


def _round(x):
    return np.floor(x + 0.5).clip(0, 255).astype(np.uint8)  # Math.round on values >= 0


def centre_crop_resize(rgb, size=STORED_SIDE):
    """[H, W, 3] uint8 -> [size, size, 3] uint8: the centre square (fractional offset), exact area average."""
    h, w = rgb.shape[:2]
    side = min(h, w)
    wx = _area_matrix((w - side) / 2, side, size, w)  # [size, W]
    wy = _area_matrix((h - side) / 2, side, size, h)  # [size, H]
    planes = rgb.astype(np.float64).transpose(2, 0, 1)  # [3, H, W]
    tmp = (planes @ wx.T).astype(np.float32)  # horizontal pass [3, H, size], stored as float32 (as Node)
    return _round((wy @ tmp.astype(np.float64)).transpose(1, 2, 0))  # [size, size, 3]


def _axis_matrix(src, dst):
    """[dst, src] float32 weights of src/train/pixels.ts: box filter when shrinking, bilinear (+0.5 centres, clamped) when enlarging."""
    scale = src / dst
    w = np.zeros((dst, src), dtype=np.float32)
    for o in range(dst):
        if scale >= 1:
            start, end = o * scale, (o + 1) * scale
            for i in range(math.floor(start), min(src, math.ceil(end))):
                overlap = min(end, i + 1) - max(start, i)
                if overlap > 0:
                    w[o, i] = overlap / scale
        else:
            pos = min(max((o + 0.5) * scale - 0.5, 0), src - 1)
            i0 = math.floor(pos)
            frac = pos - i0
            w[o, i0] += 1 - frac
            if frac > 0:
                w[o, i0 + 1] += frac
    return w


def resize_square(pixels, size):
    """[N, R, R, 3] (or [R, R, 3]) uint8 -> [N, size, size, 3] uint8, the lab's resizeImages."""
    single = pixels.ndim == 3
    x = pixels[None] if single else pixels
    if x.shape[1] != size:
        w = _axis_matrix(x.shape[1], size).astype(np.float64)
        planes = x.astype(np.float64).transpose(0, 3, 1, 2)  # [N, 3, R, R]
        rows = (planes @ w.T).astype(np.float32)  # horizontal pass [N, 3, R, size], float32 (as the lab)
        x = _round((w @ rows.astype(np.float64)).transpose(0, 2, 3, 1))  # [N, size, size, 3]
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
