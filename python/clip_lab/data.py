"""Dataset folders as the lab reads them (src/ingest/plan.ts, src/data/captions, src/data/splits.ts):
Kaggle Flickr8k captions.txt, Flickr8k.token.txt, Flickr30k results.csv, COCO captions_*.json and
CSV/TSV/JSONL with image and caption columns; official split lists, a split column or the lab's
seeded 80/10/10 split by image; images sorted by name, decoded to the stored 128 px square."""
import csv
import io
import json
import os
import re

import numpy as np

from .errors import DataError
from .pixels import STORED_SIDE, centre_crop_resize, decode, flat_bottom_fraction
from .random import js_round, mulberry32, shuffle_in_place

IMAGE_EXT = {'jpg', 'jpeg', 'png', 'webp', 'gif', 'bmp'}
IMAGE_KEYS = ['image', 'file', 'filename', 'file_name', 'filepath', 'file_path', 'image_name', 'image_path', 'image_file', 'img', 'path']
CAPTION_KEYS = ['caption', 'text', 'title', 'comment', 'sentence', 'description']
SPLIT_VALUE = {'train': 'train', 'training': 'train', 'restval': 'train', 'val': 'val', 'valid': 'val', 'validation': 'val',
               'dev': 'val', 'test': 'test', 'testing': 'test'}
SPLIT_LIST = re.compile(r'^flickr_?\d+k\.(train|dev|val|test)images\.txt$', re.I)
SPLIT_CODE = {'train': 0, 'val': 1, 'test': 2}
INGEST_SPLIT_SEED = 42


def base_name(path):
    path = path.strip()
    return path[max(path.rfind('/'), path.rfind('\\')) + 1:]


def _read_text(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return f.read()


def list_folder(root):
    """Relative '/'-paths of every file under root, sorted per directory; hidden folders skipped."""
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if not x.startswith('.'))
        for f in sorted(files):
            out.append(os.path.relpath(os.path.join(d, f), root).replace(os.sep, '/'))
    return out


def _text(s):
    return s.lstrip('\ufeff').replace('\r\n', '\n').replace('\r', '\n')


def _column(names, wanted):
    lower = [n.strip().lower() for n in names]
    return next((lower.index(w) for w in wanted if w in lower), -1)


def parse_captions(name, text):
    """(format, [(image base name, caption, split or None)]) or None when the file is not captions."""
    text = _text(text)
    records = []
    low = base_name(name).lower()
    if low.endswith('.json'):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if isinstance(data, dict) and isinstance(data.get('images'), list) and isinstance(data.get('annotations'), list):
            files = {im.get('id'): im.get('file_name', '') for im in data['images'] if isinstance(im, dict)}
            for a in data['annotations']:
                if isinstance(a, dict) and a.get('image_id') in files and isinstance(a.get('caption'), str):
                    records.append((base_name(files[a['image_id']]), a['caption'].strip(), None))
            return 'coco-json', records
        return None
    if low.endswith('.jsonl'):
        for line in text.split('\n'):
            if line.strip():
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                keys = list(row) if isinstance(row, dict) else []
                i, c, s = _column(keys, IMAGE_KEYS), _column(keys, CAPTION_KEYS), _column(keys, ['split'])
                if i >= 0 and c >= 0:
                    records.append((base_name(str(row[keys[i]])), str(row[keys[c]]).strip(),
                                    SPLIT_VALUE.get(str(row[keys[s]]).strip().lower()) if s >= 0 else None))
        return 'jsonl', records
    first = text.split('\n', 1)[0]
    if '\t' in first and '#' in first.split('\t', 1)[0]:  # Flickr8k.token.txt: name.jpg#k<TAB>caption
        for line in text.split('\n'):
            if '\t' in line:
                key, caption = line.split('\t', 1)
                records.append((base_name(key.rsplit('#', 1)[0]), caption.strip(), None))
        return 'flickr8k-token', records
    if [h.strip().lower() for h in first.split('|')] == ['image_name', 'comment_number', 'comment']:  # Flickr30k
        for line in text.split('\n')[1:]:
            parts = line.split('|', 2)
            if len(parts) == 3:
                records.append((base_name(parts[0]), parts[2].strip(), None))
        return 'flickr30k-csv', records
    delimiter = '\t' if low.endswith('.tsv') else guess_delimiter(first)
    if delimiter is None:
        return None
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        return None
    i, c, s = _column(rows[0], IMAGE_KEYS), _column(rows[0], CAPTION_KEYS), _column(rows[0], ['split'])
    if i < 0 or c < 0:
        return None
    for row in rows[1:]:
        if len(row) > max(i, c):
            records.append((base_name(row[i]), row[c].strip(), SPLIT_VALUE.get(row[s].strip().lower()) if 0 <= s < len(row) else None))
    kaggle = delimiter == ',' and [h.strip().lower() for h in rows[0]] == ['image', 'caption']
    fmt = 'flickr8k-csv' if kaggle else 'generic-tsv' if delimiter == '\t' else 'generic-csv'
    return fmt, records


def guess_delimiter(header):
    """The first of , TAB ; | whose header cells name an image and a caption column, else the one
    giving the most cells, None if none splits the line (the lab's guessDelimiter, on main)."""
    best, most = None, 1
    for d in (',', '\t', ';', '|'):
        cells = next(csv.reader([header], delimiter=d), [])
        if len(cells) > 1 and _column(cells, IMAGE_KEYS) >= 0 and _column(cells, CAPTION_KEYS) >= 0:
            return d
        if len(cells) > most:
            best, most = d, len(cells)
    return best


PREFERENCE = ['flickr8k-csv', 'flickr8k-token', 'flickr30k-csv', 'coco-json', 'generic-csv', 'generic-tsv', 'jsonl']


def seeded_split(names, seed=INGEST_SPLIT_SEED, val=0.1, test=0.1):
    """The lab's seeded split: sorted names, mulberry32 shuffle, exact counts (val and test rounded, train the rest)."""
    order = shuffle_in_place(sorted(set(names)), mulberry32(seed))
    n = len(order)
    n_val = min(n, js_round(n * val))
    n_test = min(n - n_val, js_round(n * test))
    n_train = n - n_val - n_test
    return {name: 'train' if k < n_train else 'val' if k < n_train + n_val else 'test' for k, name in enumerate(order)}


def plan_folder(root):
    """{'names', 'paths', 'captions' (per image, file order), 'splits', 'format', 'caption_file'} as the lab plans it."""
    files = list_folder(root)
    images, split_lists, parsed = {}, {}, []
    for path in files:
        name = base_name(path)
        ext = name.rsplit('.', 1)[-1].lower() if '.' in name else ''
        if name.startswith('.'):
            continue
        if ext in IMAGE_EXT:
            images.setdefault(name, path)
        elif SPLIT_LIST.match(name):
            kind = SPLIT_LIST.match(name).group(1).lower()
            for line in _text(_read_text(os.path.join(root, path))).split('\n'):
                if base_name(line):
                    split_lists[base_name(line)] = 'val' if kind == 'dev' else kind
        elif ext in ('txt', 'csv', 'tsv', 'json', 'jsonl') and os.path.getsize(os.path.join(root, path)) < 256 * 2 ** 20:
            result = parse_captions(path, _read_text(os.path.join(root, path)))
            if result and result[1]:
                parsed.append((PREFERENCE.index(result[0]) if result[0] in PREFERENCE else 99, path, result))
    if not images:
        raise DataError('no-images', f'{root}: no images found among {len(files)} files (expected .jpg, .png, ...)')
    if not parsed:
        raise DataError('no-captions', f'{root}: no caption file found beside {len(images)} images')
    _, caption_file, (fmt, records) = min(parsed, key=lambda p: (p[0], p[1]))
    by_image, per_caption = {}, {}
    for image, caption, split in records:
        if image in images and caption:
            by_image.setdefault(image, []).append(caption)
            if split:
                per_caption[image] = split
    names = sorted(by_image, key=lambda n: n.encode('utf-16-be'))
    if not names:
        raise DataError('no-matches', f'{caption_file}: none of its {len(records)} captions names an image in {root}')
    given = split_lists or per_caption
    splits = {n: given.get(n, 'train') for n in names} if given else seeded_split(names)
    return {'names': names, 'paths': [images[n] for n in names], 'captions': [by_image[n] for n in names],
            'splits': [splits[n] for n in names], 'format': fmt, 'caption_file': caption_file}


def load_folder(root, size=STORED_SIDE, limit=None, log=print):
    """Plans and decodes a folder -> dict(name, names, pixels [N, size, size, 3] uint8, split codes [N],
    captions [(image index, text)], skipped [(path, reason)]). Damaged JPEGs (flat grey bottom) are skipped as the lab does."""
    plan = plan_folder(root)
    keep = range(len(plan['names']))[:limit] if limit else range(len(plan['names']))
    pixels, names, splits, captions, skipped = [], [], [], [], []
    for k in keep:
        path = plan['paths'][k]
        try:
            stored = centre_crop_resize(decode(os.path.join(root, path), size), size)
        except Exception as error:  # noqa: BLE001 - any decoder failure skips the image, as the lab's import report
            skipped.append((path, f'corrupt or truncated image data: {error}'))
            continue
        if path.lower().endswith(('.jpg', '.jpeg')) and flat_bottom_fraction(stored) >= 0.2:
            skipped.append((path, 'damaged image: flat grey bottom (corrupt JPEG data)'))
            continue
        captions += [(len(names), c) for c in plan['captions'][k]]
        names.append(plan['names'][k])
        splits.append(SPLIT_CODE[plan['splits'][k]])
        pixels.append(stored)
    log(f"data: {len(names)} images, {len(captions)} captions from {plan['caption_file']} ({plan['format']}); {len(skipped)} skipped")
    return {'name': os.path.basename(os.path.normpath(root)), 'names': names, 'skipped': skipped, 'captions': captions,
            'pixels': np.stack(pixels) if pixels else np.zeros((0, size, size, 3), np.uint8), 'splits': np.array(splits, np.uint8)}
