"""The lab's model file ("clip-lab" format, versions 1 to 3; src/io/modelFile.ts): load() checks
everything the page checks, with the same error codes, and builds a ClipLab; save() writes a file
the page imports (weights, optionally AdamW moments, config, vocab, preprocessing, history, and the
optional calibration of the match classifier)."""
import json
import math
import re
from datetime import datetime, timezone

import numpy as np
import torch

from .config import validate_config
from .errors import ConfigError
from .metadata import (check_preprocessing, count, downsample, encode_calibration, fail as _fail, finite_json,
                       parse_calibration, parse_history, parse_json, preprocessing_spec, required)
from .model import ClipLab
from .safetensors import read_safetensors, write_safetensors
from .tokenizer import PAD_TOKEN, UNK_TOKEN

FORMAT, FORMAT_VERSION, CHECKPOINT_VERSION = 'clip-lab', 3, 1
MAX_FILE_BYTES = 512 * 2 ** 20
OPT = 'optimizer/'


def _check_vocab(raw, config):
    if not isinstance(raw, list) or not all(isinstance(w, str) for w in raw):
        _fail('bad-config', f"vocab: expected an array of strings, found {'other values in the array' if isinstance(raw, list) else type(raw).__name__}")
    if len(raw) < 2 or len(raw) > config['vocabSize']:
        _fail('bad-config', f"vocab: expected 2 to config.vocabSize = {config['vocabSize']} words, found {len(raw)}")
    if raw[0] != PAD_TOKEN or raw[1] != UNK_TOKEN:
        _fail('bad-config', f"vocab: expected '{PAD_TOKEN}' at 0 and '{UNK_TOKEN}' at 1, found {json.dumps(raw[:2])}")
    seen = set()
    for i, w in enumerate(raw):
        if w == '':
            _fail('bad-config', f'vocab[{i}]: expected a non-empty string, found ""')
        if w in seen:
            _fail('bad-config', f"vocab[{i}]: duplicate word '{w}'")
        seen.add(w)
    return raw


def _parse_time(text):
    try:
        return datetime.fromisoformat(text.replace('Z', '+00:00'))
    except ValueError:
        _fail('bad-header', f"metadata 'created_at': expected an ISO 8601 time, found {json.dumps(text[:40])}")


def parse_metadata(meta, tensor_names):
    """Everything but the tensors, checked in the lab's order; returns a dict."""
    if meta.get('format') != FORMAT:
        keys = ', '.join(json.dumps(k[:60]) for k in list(meta)[:5]) or 'none'
        names = ', '.join(json.dumps(n[:60]) for n in list(tensor_names)[:5]) or 'none'
        what = (f'this safetensors file has no {FORMAT} metadata' if 'format' not in meta
                else f"this safetensors file's format is {json.dumps(meta['format'][:40])}, not '{FORMAT}'")
        _fail('not-clip-lab', f'{what} (found keys: {keys}; tensors: {names}); it is not a CLIP Lab model export')
    text = required(meta, 'format_version')
    if not re.fullmatch(r'[1-9][0-9]{0,8}', text):
        _fail('bad-header', f"metadata 'format_version': expected a positive integer, found {json.dumps(text[:40])}")
    version = int(text)
    if version > FORMAT_VERSION:
        _fail('version-too-new', f'made by a newer CLIP Lab: format version {version}, this reader reads up to {FORMAT_VERSION}')
    ckpt_version = count(meta, 'checkpoint_version')
    if ckpt_version > CHECKPOINT_VERSION:
        _fail('version-too-new', f'made by a newer CLIP Lab: checkpoint version {ckpt_version}, this reader reads up to {CHECKPOINT_VERSION}')
    if ckpt_version < 1:
        _fail('bad-header', f"metadata 'checkpoint_version': expected 1 to {CHECKPOINT_VERSION}, found {ckpt_version}")
    try:
        config = validate_config(parse_json(meta, 'config', 'bad-config'))
    except ConfigError as error:
        _fail('bad-config', str(error))
    vocab = _check_vocab(parse_json(meta, 'vocab', 'bad-config'), config)
    preprocessing = check_preprocessing(meta, config) if version >= 2 else parse_json(meta, 'preprocessing')
    created_at = required(meta, 'created_at')
    _parse_time(created_at)
    return {'format_version': version, 'config': config, 'vocab': vocab, 'preprocessing': preprocessing,
            'step': count(meta, 'step'), 'epoch': count(meta, 'epoch'), 'batch_in_epoch': count(meta, 'batch_in_epoch'),
            'metrics': parse_history(meta), 'dataset_name': required(meta, 'dataset_name'), 'created_at': created_at,
            'calibration': parse_calibration(meta)}  # None: uncalibrated


def _check_float(t, name, shape, prefix):
    where = f"tensor '{prefix}{name}'"
    partial = '; the optimizer state must be complete or absent' if prefix else ''
    shown = '[' + ', '.join(map(str, shape)) + ']'
    if t is None:
        _fail('missing-tensor', f'missing {where}: expected F32 {shown}{partial}')
    dtype, array = t
    if dtype != 'F32':
        _fail('unsupported-dtype', f'{where}: expected F32 {shown}, found {dtype}')
    if list(array.shape) != list(shape):
        _fail('shape-mismatch', f"{where}: expected shape {shown}, found [{', '.join(map(str, array.shape))}]")
    bad = np.flatnonzero(~np.isfinite(array.reshape(-1)))
    if bad.size:
        i = int(bad[0])
        value = {math.inf: 'Infinity', -math.inf: '-Infinity'}.get(float(array.reshape(-1)[i]), 'NaN')
        _fail('bad-tensor', f'{where}: value {i} of {array.size} is {value}; expected finite numbers (a diverged or damaged model)')
    return array


def check_tensors(tensors, specs):
    """tensors: name -> (dtype, array); specs: [(name, shape)] -> (weights dict, optimizer dict or None)."""
    expected = {n for n, _ in specs}
    extra = [n for n in tensors if not n.startswith(OPT) and n not in expected]
    if extra:
        listed = ', '.join(f"'{n}' [{', '.join(map(str, tensors[n][1].shape))}]" for n in extra[:5])
        _fail('unexpected-tensor', f'unexpected tensor {listed}: not a weight of this model ({len(specs)} weights expected)')
    weights = {n: _check_float(tensors.get(n), n, s, '') for n, s in specs}
    moments = [n for n in tensors if n.startswith(OPT)]
    if not moments:
        return weights, None
    known = {f'{OPT}{m}/{n}' for n, _ in specs for m in 'mv'} | {f'{OPT}step'}
    for n in moments:
        if n not in known:
            _fail('unexpected-tensor', f"unexpected tensor '{n}' [{', '.join(map(str, tensors[n][1].shape))}]: not part of the optimizer state of this model")
    optimizer = {f'{m}/{n}': _check_float(tensors.get(f'{OPT}{m}/{n}'), f'{m}/{n}', s, OPT) for n, s in specs for m in 'mv'}
    step = tensors.get(f'{OPT}step')
    if step is None:
        _fail('missing-tensor', f"missing tensor '{OPT}step': expected I32 []; the optimizer state must be complete or absent")
    if step[0] != 'I32':
        _fail('unsupported-dtype', f"tensor '{OPT}step': expected I32 [], found {step[0]}")
    if step[1].shape != ():
        _fail('shape-mismatch', f"tensor '{OPT}step': expected shape [], found {list(step[1].shape)}")
    if int(step[1]) < 0:
        _fail('bad-tensor', f"tensor '{OPT}step': expected a count >= 0, found {int(step[1])}")
    optimizer['step'] = int(step[1])
    return weights, optimizer


def weight_specs(config, vocab_size):
    """[(name, shape)] of every weight, in the lab's order (ClipModel.weightSpecs)."""
    model = ClipLab(config, ['<pad>', '<unk>'] + [f'w{i}' for i in range(vocab_size - 2)])
    group = lambda n: ['image.', 'proj.image.', 'text.', 'proj.text.', 'logit_scale', 'match.'].index(
        next(g for g in ['proj.image.', 'proj.text.', 'image.', 'text.', 'logit_scale', 'match.'] if n.startswith(g)))
    return sorted(((n, list(p.shape)) for n, p in model.state_dict().items()), key=lambda s: group(s[0]))


def read_bytes(path):
    with open(path, 'rb') as f:
        return f.read()


def read(path_or_bytes, max_file_bytes=MAX_FILE_BYTES):
    """A clip-lab file -> dict(metadata fields..., weights, optimizer); raises ModelFileError."""
    data = path_or_bytes if isinstance(path_or_bytes, (bytes, bytearray)) else read_bytes(path_or_bytes)
    if len(data) > max_file_bytes:
        _fail('too-large', f'the file has {len(data)} bytes ({len(data) / 2 ** 20:.1f} MiB) but at most {max_file_bytes} '
                           f'({max_file_bytes / 2 ** 20:.1f} MiB) are accepted')
    tensors, meta = read_safetensors(data, max_file_bytes=max_file_bytes)
    info = parse_metadata(meta, list(tensors))
    specs = weight_specs(info['config'], len(info['vocab']))
    info['weights'], info['optimizer'] = check_tensors(tensors, specs)
    return info


def load(path_or_bytes, map_location='cpu'):
    """A lab file -> ClipLab (eval mode) with .config, .vocab, .preprocessing, .metadata (step, metrics, optimizer, …)."""
    info = read(path_or_bytes)
    model = ClipLab(info['config'], info['vocab'], info['preprocessing'],
                    {k: v for k, v in info.items() if k not in ('config', 'vocab', 'preprocessing', 'weights')})
    model.load_state_dict({n: torch.from_numpy(np.array(a, dtype=np.float32)) for n, a in info['weights'].items()})
    return model.to(map_location).eval()


def _now():
    now = datetime.now(timezone.utc)
    return now.strftime('%Y-%m-%dT%H:%M:%S.') + f'{now.microsecond // 1000:03d}Z'


_KEEP = object()


def save(model, path=None, *, optimizer_state=None, step=None, epoch=None, batch_in_epoch=None, metrics=None,
         dataset_name=None, created_at=None, preprocessing=None, calibration=_KEEP):
    """Writes `model` as a clip-lab file the page imports; returns the bytes. optimizer_state: a dict
    {'m/<weight>': array, 'v/<weight>': array, 'step': int} (see train.optimizer_state) or None.
    calibration: {'method': 'stacked', 'wz', 'wc', 'b', 'step', 'eceCalibrated'} (or 'platt' with 'a', 'b') fitted for these weights, or None
    to write none (uncalibrated). Other fields default to model.metadata's (as loaded), else to a fresh model's."""
    md = model.metadata
    calibration = md.get('calibration') if calibration is _KEEP else calibration
    history = metrics if metrics is not None else md.get('metrics', {'steps': [], 'evals': []})
    history = {'steps': downsample(history['steps']), 'evals': downsample(history['evals'])}
    meta = {
        'format': FORMAT, 'format_version': str(FORMAT_VERSION), 'checkpoint_version': str(CHECKPOINT_VERSION),
        'config': json.dumps(model.config, separators=(',', ':')), 'vocab': json.dumps(model.vocab, ensure_ascii=False, separators=(',', ':')),
        'preprocessing': json.dumps(preprocessing or (model.preprocessing if isinstance(model.preprocessing, dict) and 'stored' in model.preprocessing
                                                      else preprocessing_spec(model.config))),
        'step': str(step if step is not None else md.get('step', 0)),
        'epoch': str(epoch if epoch is not None else md.get('epoch', 0)),
        'batch_in_epoch': str(batch_in_epoch if batch_in_epoch is not None else md.get('batch_in_epoch', 0)),
        'metrics': json.dumps(finite_json(history), separators=(',', ':')),
        'dataset_name': dataset_name if dataset_name is not None else md.get('dataset_name', ''),
        'created_at': created_at or _now(),
        **({'calibration': encode_calibration(calibration)} if calibration is not None else {}),
    }
    parse_metadata(meta, [])  # the reader's own checks on what is about to be written
    state = {n: p.detach().cpu().float().contiguous().numpy() for n, p in model.state_dict().items()}
    specs = weight_specs(model.config, len(model.vocab))
    tensors = [(n, state[n]) for n, _ in specs]
    if optimizer_state is not None:
        tensors += [(f'{OPT}{m}/{n}', np.asarray(optimizer_state[f'{m}/{n}'], dtype=np.float32)) for n, _ in specs for m in 'mv']
        tensors.append((f'{OPT}step', np.array(int(optimizer_state['step']), dtype=np.int32)))
    check_tensors({n: ('I32' if a.dtype == np.int32 else 'F32', a) for n, a in tensors}, specs)
    data = write_safetensors(tensors, meta)
    if path is not None:
        with open(path, 'wb') as f:
            f.write(data)
    return data
