"""Strict parsing of a clip-lab file's string metadata (src/io/modelFileMetadata.ts): counts, JSON
values, the metrics history (field by field, NaN/Infinity as strings, at most 2,000 entries) and
the version-2 preprocessing spec and the optional calibration; all refusals are ModelFileError('bad-header', ...)."""
import json
import math
import re

from .errors import ModelFileError
from .model import IMAGE_MEAN, IMAGE_STD
from .tokenizer import PAD_TOKEN, UNK_TOKEN

MAX_HISTORY = 2000
STORED_SIDE = 128
STEP_FIELDS = {'step': 'n', 'epoch': 'n', 'loss': 'n', 'clipLoss': 'n', 'matchLoss': 'null', 'accI2T': 'n', 'accT2I': 'n',
               'matchAcc': 'null', 'posSim': 'n', 'negSim': 'n', 'logitScale': 'n', 'lr': 'n', 'pairsPerSec': 'n', 'msPerStep': 'n'}
EVAL_FIELDS = {'step': 'n', 'epoch': 'n', 'valLoss': 'n', 'i2t': 'scores', 't2i': 'scores', 'matchAcc': 'null', 'auc': 'null',
               'match': 'match', 'images': 'n', 'captions': 'n'}
MATCH_FIELDS = {'aucRandom': 'n', 'aucHard': 'n', 'cosineAuc': 'n', 'cosineAucRandom': 'n', 'cosineAucHard': 'n', 'ece': 'n',
                'eceCalibrated': 'n', 'plattA': 'n', 'plattB': 'n',
                # the stacked calibration and its held-out AUCs: absent in files made before it ('opt')
                'stackWz': 'opt', 'stackWc': 'opt', 'stackB': 'opt', 'calibratedAucRandom': 'opt', 'calibratedAucHard': 'opt',
                'binCount': 'list', 'binConfidence': 'list', 'binAccuracy': 'list'}
SCORE_FIELDS = {'r1': 'n', 'r5': 'n', 'r10': 'n', 'medianRank': 'n'}
NON_FINITE = {'NaN': math.nan, 'Infinity': math.inf, '-Infinity': -math.inf}


def fail(code, message):
    raise ModelFileError(code, message)


def _show(v, n=40):
    return json.dumps(v)[:n] if v is not None else 'nothing'


def required(meta, key):
    if key not in meta:
        fail('bad-header', f"metadata '{key}': expected a value, found none")
    return meta[key]


def count(meta, key):
    text = required(meta, key)
    if not re.fullmatch(r'0|[1-9][0-9]*', text) or int(text) > 2 ** 53 - 1:
        fail('bad-header', f"metadata '{key}': expected a non-negative integer, found {json.dumps(text[:40])}")
    return int(text)


def parse_json(meta, key, code='bad-header'):
    text = required(meta, key)
    try:
        return json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(f'{c} is not JSON')))
    except ValueError as error:
        fail(code, f"metadata '{key}' is not valid JSON: {error}")


def preprocessing_spec(config, decoder='pillow', stored_resample='area'):
    """The version-2 machine-readable preprocessing (see src/io/modelFileMetadata.ts PreprocessingSpec)."""
    return {
        'imageSize': config['imageSize'], 'decoder': decoder, 'orientation': 'exif', 'crop': 'center-square',
        'channels': 'RGB', 'layout': 'NHWC',
        'stored': {'side': STORED_SIDE, 'resample': stored_resample, 'rounding': 'half-up'},
        'resize': {'shrink': 'area', 'enlarge': 'bilinear', 'rounding': 'half-up'},
        'range': {'from': 'uint8', 'divide': 255, 'min': 0, 'max': 1},
        'normalisation': {'mean': IMAGE_MEAN, 'std': IMAGE_STD, 'inside': 'model'},
        'text': {'lowercase': True, 'tokens': "/[\\p{L}\\p{N}]+(?:'[\\p{L}\\p{N}]+)*/gu", 'pad': PAD_TOKEN, 'unk': UNK_TOKEN,
                 'maxTokens': config['maxTokens'], 'idsAs': 'float32'},
    }


def check_preprocessing(meta, config):
    raw = parse_json(meta, 'preprocessing')
    if not isinstance(raw, dict):
        fail('bad-header', f"metadata 'preprocessing': expected an object, found {_show(raw)}")

    def at(path):
        o = raw
        for k in path.split('.'):
            o = o.get(k) if isinstance(o, dict) else None
        return o

    def expect(path, ok, what):
        if not ok(at(path)):
            fail('bad-header', f"metadata 'preprocessing': {path}: expected {what}, found {_show(at(path))}")
    is_int = lambda v: isinstance(v, int) and not isinstance(v, bool)
    expect('imageSize', lambda v: is_int(v) and v == config['imageSize'], f"{config['imageSize']} (config.imageSize)")
    expect('decoder', lambda v: isinstance(v, str) and v != '', 'a decoder name')
    expect('stored.side', lambda v: is_int(v) and 1 <= v <= 4096, 'an integer side in [1, 4096]')
    expect('stored.resample', lambda v: v in ('canvas-high-quality', 'area'), "'canvas-high-quality' or 'area'")
    expect('resize.shrink', lambda v: v == 'area', "'area'")
    expect('resize.enlarge', lambda v: v == 'bilinear', "'bilinear'")
    expect('range.divide', lambda v: v == 255, '255')
    expect('normalisation.mean', lambda v: isinstance(v, list) and len(v) == 3, '3 numbers')
    expect('normalisation.std', lambda v: isinstance(v, list) and len(v) == 3 and all(s > 0 for s in v), '3 positive numbers')
    expect('text.maxTokens', lambda v: v == config['maxTokens'], f"{config['maxTokens']} (config.maxTokens)")
    return raw


def _pick(raw, fields, where):
    if not isinstance(raw, dict):
        fail('bad-header', f"metadata 'metrics': {where}: expected an object, found {_show(raw)}")
    out = {}
    for key, kind in fields.items():
        value, at = raw.get(key), f'{where}.{key}'
        if kind == 'scores':
            out[key] = _pick(value, SCORE_FIELDS, at)
        elif kind == 'match':  # the classifier's calibration and AUCs; absent in older files and Python's own evals
            out[key] = None if value is None else _pick(value, MATCH_FIELDS, at)
        elif kind == 'list':
            ok = lambda v: v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) or (isinstance(v, str) and v in NON_FINITE)
            if not isinstance(value, list) or len(value) > 1000 or not all(ok(v) for v in value):
                fail('bad-header', f"metadata 'metrics': {at}: expected a list of numbers, found {_show(value)}")
            out[key] = [NON_FINITE[v] if isinstance(v, str) else v for v in value]
        elif kind == 'opt' and key not in raw:
            pass  # absent: left out
        elif value is None and kind == 'null' and key in raw:
            out[key] = None
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = value
        elif isinstance(value, str) and value in NON_FINITE:
            out[key] = NON_FINITE[value]
        else:
            fail('bad-header', f"metadata 'metrics': {at}: expected a number{' or null' if kind == 'null' else ''}, found {_show(value)}")
    return out


def parse_history(meta):
    raw = parse_json(meta, 'metrics')
    if not isinstance(raw, dict) or not isinstance(raw.get('steps'), list) or not isinstance(raw.get('evals'), list):
        fail('bad-header', f"metadata 'metrics': expected {{\"steps\": [...], \"evals\": [...]}}, found {_show(raw)}")
    for key in ('steps', 'evals'):
        if len(raw[key]) > MAX_HISTORY:
            fail('bad-header', f"metadata 'metrics': expected at most {MAX_HISTORY} {key}, found {len(raw[key])}")
    return {'steps': [_pick(s, STEP_FIELDS, f'steps[{i}]') for i, s in enumerate(raw['steps'])],
            'evals': [_pick(e, EVAL_FIELDS, f'evals[{i}]') for i, e in enumerate(raw['evals'])]}


def finite_json(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return 'NaN' if math.isnan(obj) else ('Infinity' if obj > 0 else '-Infinity')
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [finite_json(v) for v in obj]
    return obj


def downsample(items, limit=MAX_HISTORY):
    if len(items) <= limit:
        return list(items)
    return [items[int(math.floor(i * (len(items) - 1) / (limit - 1) + 0.5))] for i in range(limit)]


CALIBRATION_WEIGHTS = {'stacked': ('wz', 'wc', 'b'), 'platt': ('a', 'b')}


def parse_calibration(meta):
    """The optional 'calibration' key (parseCalibration in the lab): {'method': 'stacked', 'wz', 'wc', 'b',
    'step', 'eceCalibrated'} with P(match) = sigmoid(wz * logit + wc * cosine + b), or (files made before it)
    {'method': 'platt', 'a', 'b', ...} with P(match) = sigmoid(a * logit + b); None when absent."""
    if 'calibration' not in meta:
        return None
    raw = parse_json(meta, 'calibration')
    where = "metadata 'calibration'"
    is_number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    if not isinstance(raw, dict):
        fail('bad-header', f'{where}: expected {{"method": "stacked", "wz", "wc", "b", "step"}}, found {_show(raw)}')
    method = raw.get('method')
    if method not in CALIBRATION_WEIGHTS:
        fail('bad-header', f"{where}: method: expected 'stacked' or 'platt', found {_show(method)}")
    for key in CALIBRATION_WEIGHTS[method]:
        if not is_number(raw.get(key)) or not math.isfinite(raw[key]):
            fail('bad-header', f'{where}: {key}: expected a finite number, found {_show(raw.get(key))}')
    step = raw.get('step')
    if not is_number(step) or not math.isfinite(step) or step != int(step) or not 0 <= step <= 2 ** 53 - 1:  # JS: a safe integer
        fail('bad-header', f'{where}: step: expected a step count >= 0, found {_show(step)}')
    ece = raw.get('eceCalibrated', 'NaN')
    ece = math.nan if ece == 'NaN' else ece
    if not is_number(ece):
        fail('bad-header', f"{where}: eceCalibrated: expected a number, found {_show(raw.get('eceCalibrated'))}")
    return {'method': method, **{k: float(raw[k]) for k in CALIBRATION_WEIGHTS[method]}, 'step': int(step), 'eceCalibrated': float(ece)}


def encode_calibration(c):
    """The 'calibration' value as the lab writes it (encodeCalibration; a NaN ECE as "NaN")."""
    ece = c['eceCalibrated'] if math.isfinite(c['eceCalibrated']) else 'NaN'
    weights = {k: c[k] for k in CALIBRATION_WEIGHTS[c['method']]}
    return json.dumps({'method': c['method'], **weights, 'step': c['step'], 'eceCalibrated': ece}, separators=(',', ':'))
