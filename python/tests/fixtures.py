"""Shared helpers for the Python tests: the lab-written fixtures (python/tests/lab.ts prepare, run by
npm run test:python, which sets CLIP_LAB_FIXTURES) and the real-data skip rule."""
import json
import os
import unittest

FIXTURES = os.environ.get('CLIP_LAB_FIXTURES')
REQUIRE_DATASETS = os.environ.get('CLIP_LAB_REQUIRE_DATASETS') == '1'
_cache = {}


def fixtures():
    """The lab's fixtures.json; the whole suite is skipped without it (run it through npm run test:python)."""
    if not FIXTURES:
        raise unittest.SkipTest('CLIP_LAB_FIXTURES is not set: run the Python tests with `npm run test:python`')
    if 'fx' not in _cache:
        with open(os.path.join(FIXTURES, 'fixtures.json'), encoding='utf-8') as f:
            _cache['fx'] = json.load(f)
    return _cache['fx']


def out_dir():
    path = os.path.join(FIXTURES, 'py')
    os.makedirs(path, exist_ok=True)
    return path


def require_originals(test):
    """Skips (one visible line) when ../shared/datasets is absent; fails instead with CLIP_LAB_REQUIRE_DATASETS=1."""
    if 'originals' in fixtures()['plans']:
        return
    if REQUIRE_DATASETS:
        test.fail('../shared/datasets/flickr8k-originals is absent but CLIP_LAB_REQUIRE_DATASETS=1')
    raise unittest.SkipTest('../shared/datasets/flickr8k-originals absent: real-data check skipped')


def sample_data():
    """The synthetic sample folder decoded once (clip_lab.data.load_folder)."""
    if 'sample' not in _cache:
        from clip_lab.data import load_folder
        _cache['sample'] = load_folder(fixtures()['sample'], log=lambda s: None)
    return _cache['sample']
