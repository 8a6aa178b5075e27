"""Strict safetensors reader and writer (u64 LE header length, JSON header padded to 8 bytes,
raw little-endian data) in plain Python + numpy, with the checks and error codes of the lab's
src/io/safetensors.ts. Tensors come back as numpy arrays; F16 is widened to F32 (the dtype the
header states is kept, so callers can refuse it)."""
import json
import struct

import numpy as np

from .errors import ModelFileError

SAFE_DTYPES = ('BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'I16', 'U16', 'F16', 'BF16',
               'I32', 'U32', 'F32', 'F64', 'I64', 'U64', 'C64', 'F4', 'F6_E2M3', 'F6_E3M2')
READABLE = {'F32': np.dtype('<f4'), 'I32': np.dtype('<i4'), 'U8': np.dtype('u1'), 'F16': np.dtype('<f2')}
WRITABLE = {np.dtype('float32'): 'F32', np.dtype('int32'): 'I32', np.dtype('uint8'): 'U8'}
DEFAULT_LIMITS = {'max_file_bytes': 2 ** 30, 'max_header_bytes': 16 * 2 ** 20, 'max_tensors': 10_000}
METADATA_KEY = '__metadata__'


def _fail(code, message):
    raise ModelFileError(code, message)


def _is_index(n):
    if isinstance(n, bool):
        return False
    if isinstance(n, float) and n.is_integer():
        n = int(n)
    return isinstance(n, int) and 0 <= n <= 2 ** 53 - 1


def _describe(v):
    if v is None:
        return 'null'
    if isinstance(v, list):
        return 'an array'
    if isinstance(v, dict):
        return 'Object'
    return {str: 'string', bool: 'boolean', int: 'number', float: 'number'}.get(type(v), type(v).__name__)


def write_safetensors(tensors, metadata=None):
    """tensors: list of (name, numpy array of float32/int32/uint8) in data order -> file bytes."""
    metadata = metadata or {}
    for key, value in metadata.items():
        if not isinstance(value, str):
            _fail('bad-tensor', f"metadata '{key}': expected a string value, found {_describe(value)}")
    entries = []
    if metadata:
        entries.append(f'{json.dumps(METADATA_KEY)}:{json.dumps(metadata, ensure_ascii=False, separators=(",", ":"))}')
    seen, offset, blobs = set(), 0, []
    for name, array in tensors:
        array = np.array(array, order='C', copy=False)  # keeps 0-d arrays 0-d (ascontiguousarray would not)
        if not isinstance(name, str) or name in ('', METADATA_KEY):
            _fail('bad-tensor', f"expected a non-empty tensor name other than '{METADATA_KEY}', found {json.dumps(name)}")
        if name in seen:
            _fail('bad-tensor', f"tensor '{name}' appears twice; names must be unique")
        seen.add(name)
        dtype = WRITABLE.get(array.dtype)
        if dtype is None:
            _fail('bad-tensor', f"tensor '{name}': expected dtype float32, int32 or uint8, found {array.dtype}")
        blob = array.astype(READABLE[dtype], copy=False).tobytes()
        info = {'dtype': dtype, 'shape': list(array.shape), 'data_offsets': [offset, offset + len(blob)]}
        entries.append(f'{json.dumps(name, ensure_ascii=False)}:{json.dumps(info, separators=(",", ":"))}')
        blobs.append(blob)
        offset += len(blob)
    header = ('{' + ','.join(entries) + '}').encode('utf-8')
    header += b' ' * (-len(header) % 8)
    return struct.pack('<Q', len(header)) + header + b''.join(blobs)


def _reject_constant(name):
    raise ValueError(f'{name} is not JSON')


def _pairs_no_duplicates(pairs):
    """json object hook: keeps the last value like JSON.parse, and lists repeated keys under '\0dups'."""
    out, dups = {}, []
    for key, value in pairs:
        if key in out:
            dups.append(key)
        out[key] = value
    if dups:
        out['\0dups'] = dups
    return out


def read_safetensors(data, **limits):
    """bytes -> (tensors: dict name -> (file dtype, numpy array), metadata: dict of str). Raises ModelFileError."""
    limit = {**DEFAULT_LIMITS, **{k: v for k, v in limits.items() if v is not None}}
    data = memoryview(bytes(data) if not isinstance(data, (bytes, bytearray)) else data)
    n = len(data)
    if n == 0:
        _fail('empty', 'the file is empty (0 bytes)')
    if n > limit['max_file_bytes']:
        _fail('too-large', f"the file has {n} bytes but at most {limit['max_file_bytes']} are accepted")
    if n < 8:
        _fail('truncated', f'expected at least 8 bytes for the header length, found {n}')
    low, high = struct.unpack_from('<II', data, 0)
    available = n - 8
    if high >= 2 ** 21:
        _fail('header-too-large', f'header declares at least 2^53 bytes but the file has {available} after the length prefix')
    declared = high * 2 ** 32 + low
    if declared > available:
        _fail('header-too-large', f'header declares {declared} bytes but the file has {available} bytes after the length prefix')
    if declared > limit['max_header_bytes']:
        _fail('header-too-large', f"header declares {declared} bytes but at most {limit['max_header_bytes']} are accepted")
    raw = bytes(data[8:8 + declared])
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        _fail('bad-header', f'the {len(raw)}-byte header is not valid UTF-8')
    if not text.startswith('{'):
        _fail('bad-header', f"expected the JSON header to start with '{{', found {json.dumps(text[:16])}")
    try:
        parsed = json.loads(text, object_pairs_hook=_pairs_no_duplicates, parse_constant=_reject_constant)
    except ValueError as error:
        _fail('bad-header', f'the header is not valid JSON: {error}')
    if not isinstance(parsed, dict):
        _fail('bad-header', f'expected the header to be an object, found {_describe(parsed)}')
    dups = parsed.pop('\0dups', [])
    count = len(parsed) - (1 if METADATA_KEY in parsed else 0)
    if count > limit['max_tensors']:
        _fail('too-large', f"the header lists {count} tensors but at most {limit['max_tensors']} are accepted")
    if dups:
        _fail('bad-header', f'the header lists {json.dumps(dups[0])} more than once; names must be unique')
    metadata, entries = {}, []
    for name, value in parsed.items():
        if name == METADATA_KEY:
            metadata = _parse_metadata(value)
        else:
            entries.append(_parse_entry(name, value))
    body = data[8 + declared:]
    tensors = {}
    for name, dtype, shape, begin, end in _check_layout(entries, len(body)):
        array = np.frombuffer(body[begin:end], dtype=READABLE[dtype]).reshape(shape)
        tensors[name] = (dtype, array.astype(np.float32) if dtype == 'F16' else array.astype(array.dtype.newbyteorder('=')))
    return tensors, metadata


def _parse_metadata(value):
    if not isinstance(value, dict):
        _fail('bad-header', f'expected {METADATA_KEY} to be an object of strings, found {_describe(value)}')
    value.pop('\0dups', None)
    for key, v in value.items():
        if not isinstance(v, str):
            _fail('bad-header', f'{METADATA_KEY}.{key}: expected a string, found {_describe(v)}')
    return dict(value)


def _parse_entry(name, value):
    if name == '':
        _fail('bad-header', 'expected non-empty tensor names, found ""')
    where = f"tensor '{name}'"
    if not isinstance(value, dict):
        _fail('bad-header', f'{where}: expected an object with dtype, shape, data_offsets, found {_describe(value)}')
    dtype, shape, offsets = value.get('dtype'), value.get('shape'), value.get('data_offsets')
    if not isinstance(dtype, str):
        _fail('bad-header', f'{where}: expected a dtype string, found {_describe(dtype)}')
    if not isinstance(shape, list) or not all(_is_index(d) for d in shape):
        _fail('bad-header', f'{where}: expected a shape of non-negative integers, found {json.dumps(shape)}')
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, (int, float)) and not isinstance(o, bool) for o in offsets):
        _fail('bad-header', f'{where}: expected data_offsets [begin, end], found {json.dumps(offsets)}')
    if dtype not in SAFE_DTYPES:
        _fail('unsupported-dtype', f"{where}: unknown dtype {json.dumps(dtype)}; expected one of {', '.join(SAFE_DTYPES)}")
    if dtype not in READABLE:
        _fail('unsupported-dtype', f'{where}: dtype {dtype} is valid safetensors but only F32, I32, U8, F16 are read')
    begin, end = offsets
    if not _is_index(begin) or not _is_index(end) or begin > end:
        _fail('bad-offsets', f'{where}: expected integer data_offsets with 0 <= begin <= end, found [{begin}, {end}]')
    return name, dtype, [int(d) for d in shape], int(begin), int(end)


def _check_layout(entries, data_length):
    ordered = sorted(entries, key=lambda e: (e[3], e[4]))
    cursor, previous = 0, ''
    for name, dtype, shape, begin, end in ordered:
        expected = int(np.prod(shape, dtype=np.int64)) * READABLE[dtype].itemsize
        where = f"tensor '{name}' ({dtype} [{', '.join(map(str, shape))}], data_offsets [{begin}, {end}])"
        if end - begin != expected:
            _fail('bad-offsets', f'{where} needs {expected} bytes but spans {end - begin}')
        if begin > cursor and begin > data_length:
            _fail('bad-offsets', f'{where} starts beyond the end of the {data_length}-byte data section')
        if begin > cursor:
            _fail('bad-offsets', f'{where}: expected it to start at byte {cursor}, found a gap')
        if begin < cursor:
            _fail('bad-offsets', f"{where} overlaps tensor '{previous}', which ends at byte {cursor}")
        cursor, previous = end, name
    if cursor > data_length:
        _fail('truncated', f'the tensors need {cursor} bytes of data but the file has {data_length} after the header')
    if cursor < data_length:
        _fail('bad-offsets', f'the data section has {data_length} bytes but the tensors cover {cursor}; the rest is stray')
    return ordered
