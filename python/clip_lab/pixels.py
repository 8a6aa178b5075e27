"""The lab's image pipeline as numpy (the spec in a version-2 file's `preprocessing`): decode (a JPEG at
the smallest DCT scale 1/8, 1/4, 1/2 or 1 whose short side still covers the stored side: Pillow's
draft(), as the lab's wasm libjpeg-turbo decoder picks it), EXIF upright, RGB (alpha dropped), centre
square crop resampled to the stored side (128), then to the model's side — area average when
shrinking, bilinear when enlarging, uint8 rounded half-up after each — then / 255. Bit for bit what
the lab's CPU resampler computes from the same decoded pixels (src/data/rgb.ts); Pillow 9.4's
libjpeg-turbo and the lab's gave equal JPEG pixels on the Flickr8k files measured (bench/jpeg-scaled.ts),
so the decoder is where end-to-end scores may still differ, within the bound test_parity checks."""
import math

import numpy as np
from PIL import Image, ImageOps

STORED_SIDE = 128


def axis_taps(start, span, to, length=None):
    """Taps (index [to, K], float32 weight [to, K]) resampling [start, start + span) of an axis to `to`
    cells: box filter weighted by overlap when shrinking (or keeping the size), bilinear with pixel
    centres at +0.5 clamped to the interval when enlarging (the lab's axisTaps, src/data/rgb.ts)."""
    length = start + span if length is None else length
    scale = span / to
    taps = []
    for o in range(to):
        if scale >= 1:
            a = start + o * scale
            b = a + scale
            row = [(i, (min(b, i + 1) - max(a, i)) / scale) for i in range(math.floor(a), min(length, math.ceil(b)))
                   if min(b, i + 1) - max(a, i) > 1e-9]
        else:
            pos = min(max(start + (o + 0.5) * scale - 0.5, start), start + span - 1)
            i0 = math.floor(pos)
            frac = pos - i0
            row = [(i0, 1 - frac)] + ([(i0 + 1, frac)] if frac > 0 else [])
        taps.append(row)
    K = max(len(r) for r in taps)
    index = np.zeros((to, K), np.int64)
    weight = np.zeros((to, K), np.float32)  # float32, as the lab stores them
    for o, row in enumerate(taps):
        for k, (i, w) in enumerate(row):
            index[o, k], weight[o, k] = i, w
    return index, weight


def _apply(x, axis, index, weight):
    """Resamples axis `axis` of float64 x with taps, summing tap by tap in order (as the lab's loops)."""
    out = 0
    shape = [1] * x.ndim
    shape[axis] = -1
    for k in range(index.shape[1]):
        out = out + np.take(x, index[:, k], axis=axis) * weight[:, k].astype(np.float64).reshape(shape)
    return out


def resample(x, cols, rows):
    """[..., H, W, 3] uint8 through column then row taps -> [..., rows, cols, 3] uint8; the horizontal
    pass is kept in float32 and each value rounded half-up, as the lab's resample()."""
    tmp = _apply(x.astype(np.float64), x.ndim - 2, *cols).astype(np.float32)
    return np.floor(_apply(tmp.astype(np.float64), x.ndim - 3, *rows) + 0.5).clip(0, 255).astype(np.uint8)


def centre_crop_resize(rgb, size=STORED_SIDE):
    """[H, W, 3] uint8 -> [size, size, 3] uint8: the centre square (side min(H, W), fractional offset)."""
    h, w = rgb.shape[:2]
    side = min(h, w)
    return resample(rgb, axis_taps((w - side) / 2, side, size, w), axis_taps((h - side) / 2, side, size, h))


def resize_square(pixels, size):
    """[N, R, R, 3] (or [R, R, 3]) uint8 -> [N, size, size, 3] uint8, the lab's resizeImages."""
    if pixels.shape[-2] == size:
        return pixels
    taps = axis_taps(0, pixels.shape[-2], size)
    return resample(pixels, taps, taps)


def decode(image, draft_side=None):
    """A path, bytes-like file or PIL image -> upright [H, W, 3] uint8 RGB (EXIF orientation applied, alpha
    dropped). draft_side: a JPEG not yet loaded is decoded at the smallest DCT scale whose short side is
    at least draft_side (Pillow's draft; other formats ignore it), as the lab decodes for its stored copy."""
    if not isinstance(image, Image.Image):
        image = Image.open(image)
    if draft_side:
        image.draft('RGB', (draft_side, draft_side))
    image = ImageOps.exif_transpose(image)
    if image.mode != 'RGB':
        image = image.convert('RGB')  # alpha dropped, not composited (as the Node trainer)
    return np.asarray(image, dtype=np.uint8)


def stored_pixels(image, stored_side=STORED_SIDE):
    """What the lab stores for an image: [stored_side, stored_side, 3] uint8."""
    return centre_crop_resize(decode(image, stored_side), stored_side)


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
