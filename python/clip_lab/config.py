"""The lab's TrainConfig (src/config.ts) in Python: the named presets and a validator with the same
rules and messages, so a file's config is accepted or refused here exactly as in the page."""
import math

from .errors import ConfigError

TINY = dict(
    preset='tiny', seed=1,
    imageSize=32, convChannels=[8, 16, 32], imageWidth=0, augment=False,
    imageTower='cnn', backbone=None, headHidden=0, headDropout=0.5, flipViews=True,
    textEncoder='conv', vocabSize=1000, minWordCount=1, maxTokens=12, textWidth=32, textLayers=1, textHeads=1,
    embedDim=32, matchHidden=32, matchLossWeight=1, matchHead='cosine-feature', matchDetach=True, matchNegatives=2,
    batchSize=16, epochs=5, learningRate=3e-3, lrSchedule='cosine', warmupSteps=5, weightDecay=0, adamEpsilon=1e-7,
    evalEveryEpoch=True, maxEvalImages=200, checkpointEverySteps=200,
)
DEFAULT = dict(
    preset='default', seed=1,
    imageSize=64, convChannels=[32, 64, 128, 256], imageWidth=256, augment=True,
    imageTower='cnn', backbone=None, headHidden=0, headDropout=0.5, flipViews=True,
    textEncoder='conv', vocabSize=5000, minWordCount=2, maxTokens=24, textWidth=256, textLayers=2, textHeads=4,
    embedDim=256, matchHidden=256, matchLossWeight=1, matchHead='cosine-feature', matchDetach=True, matchNegatives=2,
    batchSize=64, epochs=20, learningRate=1e-3, lrSchedule='cosine', warmupSteps=200, weightDecay=0.1, adamEpsilon=1e-7,
    evalEveryEpoch=True, maxEvalImages=1000, checkpointEverySteps=500,
)
BENCH = dict(
    preset='bench', seed=1,
    imageSize=64, convChannels=[32, 64, 128, 256], imageWidth=0, augment=False,
    imageTower='cnn', backbone=None, headHidden=0, headDropout=0.5, flipViews=True,
    textEncoder='bow', vocabSize=5000, minWordCount=1, maxTokens=24, textWidth=128, textLayers=0, textHeads=1,
    embedDim=128, matchHidden=0, matchLossWeight=0, matchHead='mlp', matchDetach=False, matchNegatives=1,
    batchSize=64, epochs=10, learningRate=1e-3, lrSchedule='constant', warmupSteps=0, weightDecay=0, adamEpsilon=1e-7,
    evalEveryEpoch=True, maxEvalImages=1000, checkpointEverySteps=500,
)
PRESETS = {'tiny': TINY, 'default': DEFAULT, 'bench': BENCH}
# Fields added after configs were first saved, with the values that reproduce what a config without
# them trained (LEGACY_DEFAULTS in src/config.ts): filled in on validation, so older files still load.
LEGACY_DEFAULTS = {'matchHead': 'mlp', 'matchDetach': False, 'matchNegatives': 1,
                   'imageTower': 'cnn', 'backbone': None, 'headHidden': 0, 'headDropout': 0.5, 'flipViews': True}
BACKBONE_FIELDS = ['name', 'kind', 'sha256', 'inputSize', 'range', 'outputNode', 'featureSize', 'source']  # source optional


def _int(lo, hi):
    return ('int', lo, hi)


def _num(lo, hi, lo_exclusive=False):
    return ('number', lo, hi, lo_exclusive)


RULES = {
    'preset': ('enum', ['tiny', 'default', 'bench']),
    'seed': _int(0, 2 ** 32 - 1),
    'imageSize': _int(8, 256),
    'convChannels': ('intList', 1, 6, 1, 1024),
    'imageWidth': _int(0, 4096),
    'augment': ('bool',),
    'imageTower': ('enum', ['cnn', 'backbone']),
    'backbone': ('backbone',),
    'headHidden': _int(0, 4096),
    'headDropout': _num(0, 0.95),
    'flipViews': ('bool',),
    'textEncoder': ('enum', ['conv', 'transformer', 'bow']),
    'vocabSize': _int(3, 100_000),
    'minWordCount': _int(1, 10_000),
    'maxTokens': _int(1, 256),
    'textWidth': _int(1, 2048),
    'textLayers': _int(0, 8),
    'textHeads': _int(1, 32),
    'embedDim': _int(1, 2048),
    'matchHidden': _int(0, 4096),
    'matchLossWeight': _num(0, 100),
    'matchHead': ('enum', ['mlp', 'cosine-feature', 'residual']),
    'matchDetach': ('bool',),
    'matchNegatives': _int(1, 16),
    'batchSize': _int(2, 4096),
    'epochs': _int(1, 10_000),
    'learningRate': _num(0, 1, True),
    'lrSchedule': ('enum', ['cosine', 'constant']),
    'warmupSteps': _int(0, 1_000_000),
    'weightDecay': _num(0, 10),
    'adamEpsilon': _num(1e-12, 1e-2),
    'evalEveryEpoch': ('bool',),
    'maxEvalImages': _int(2, 1_000_000),
    'checkpointEverySteps': _int(1, 10_000_000),
}


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_int(v):
    return _is_number(v) and math.isfinite(v) and float(v).is_integer()


def _describe(rule):
    kind = rule[0]
    if kind == 'int':
        return f'an integer in [{rule[1]}, {rule[2]}]'
    if kind == 'number':
        return f"a number in {'(' if rule[3] else '['}{_show(rule[1])}, {_show(rule[2])}]"
    if kind == 'enum':
        return 'one of ' + ', '.join(f"'{v}'" for v in rule[1])
    if kind == 'bool':
        return 'true or false'
    if kind == 'backbone':
        return 'null or a backbone identity {' + ', '.join(BACKBONE_FIELDS) + '}'
    return f'{rule[1]} to {rule[2]} integers, each in [{rule[3]}, {rule[4]}]'


def _show(v):
    if isinstance(v, str):
        return f"'{v}'"
    if isinstance(v, list):
        return '[' + ', '.join(_show(x) for x in v) + ']'
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if v is None:
        return 'null'
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _is_backbone(b):
    import re
    whole = lambda v, lo, hi: _is_int(v) and lo <= v <= hi
    return (isinstance(b, dict) and all(k in BACKBONE_FIELDS for k in b)
            and isinstance(b.get('name'), str) and b.get('kind') in ('graph', 'layers')
            and isinstance(b.get('sha256'), str) and re.fullmatch('[0-9a-f]{64}', b['sha256']) is not None
            and whole(b.get('inputSize'), 8, 1024) and b.get('range') in ('0,1', '-1,1')
            and isinstance(b.get('outputNode'), str) and len(b['outputNode']) > 0
            and whole(b.get('featureSize'), 1, 65_536)
            and (b.get('source') is None or (isinstance(b['source'], str) and b['source'].startswith('https://'))))


def _check(field, value, rule):
    def fail(code):
        raise ConfigError(code, f'config.{field}: expected {_describe(rule)}, found {_show(value)}')
    kind = rule[0]
    if kind == 'int':
        if not _is_int(value):
            fail('wrong-type')
        if not rule[1] <= value <= rule[2]:
            fail('out-of-range')
    elif kind == 'number':
        if not _is_number(value) or not math.isfinite(value):
            fail('wrong-type')
        if not ((value > rule[1]) if rule[3] else (value >= rule[1])) or value > rule[2]:
            fail('out-of-range')
    elif kind == 'enum':
        if not isinstance(value, str):
            fail('wrong-type')
        if value not in rule[1]:
            fail('out-of-range')
    elif kind == 'bool':
        if not isinstance(value, bool):
            fail('wrong-type')
    elif kind == 'backbone':
        if value is not None and not _is_backbone(value):
            fail('wrong-type')
    else:
        if not isinstance(value, list) or not all(_is_int(v) for v in value):
            fail('wrong-type')
        if not rule[1] <= len(value) <= rule[2] or not all(rule[3] <= v <= rule[4] for v in value):
            fail('out-of-range')


def validate_config(x):
    """A complete TrainConfig (no unknown or missing keys, every value in range) as a new dict; raises ConfigError."""
    if not isinstance(x, dict):
        raise ConfigError('not-object', f"config: expected an object, found {'null' if x is None else type(x).__name__}")
    x = {**LEGACY_DEFAULTS, **x}
    for key in x:
        if key not in RULES:
            raise ConfigError('unknown-key', f"config.{key}: unknown key; expected only {', '.join(RULES)}")
    for key, rule in RULES.items():
        if key not in x:
            raise ConfigError('missing-key', f'config.{key}: missing; expected {_describe(rule)}')
        _check(key, x[key], rule)
    config = {k: x[k] for k in RULES}
    for k, rule in RULES.items():
        if rule[0] == 'int':
            config[k] = int(config[k])
    config['convChannels'] = [int(c) for c in config['convChannels']]
    if config['imageTower'] == 'backbone' and config['backbone'] is None:
        raise ConfigError('missing-key', "config.backbone: expected a backbone identity when imageTower is 'backbone', found null")
    if config['textEncoder'] == 'transformer' and config['textWidth'] % config['textHeads'] != 0:
        raise ConfigError('out-of-range', f"config.textHeads: expected a divisor of textWidth ({config['textWidth']}) "
                          f"for the transformer, found {config['textHeads']}")
    return config


def with_overrides(preset, **overrides):
    """A preset with some fields replaced, validated."""
    if preset not in PRESETS:
        raise ConfigError('out-of-range', f"preset: expected one of tiny, default, bench, found '{preset}'")
    return validate_config({**PRESETS[preset], **overrides})
