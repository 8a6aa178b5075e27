"""The model file from Python: it refuses every hostile file the lab refuses, with the lab's error
code; load -> save keeps weights, optimizer state and metadata (the lab then imports the result
and scores identically: python/tests/lab.ts check); version 1 files still load."""
import json
import os
import unittest

import numpy as np
import torch

import clip_lab
from clip_lab import model_file
from clip_lab.metadata import encode_calibration
from clip_lab.model_file import read_bytes
from clip_lab.safetensors import read_safetensors, write_safetensors

from .fixtures import fixtures, out_dir


class HostileFilesTest(unittest.TestCase):
    def test_the_valid_base_file_loads(self):
        model = clip_lab.load(os.path.join(os.path.dirname(fixtures()['hostile'][0]['path']), 'valid.clip.safetensors'))
        self.assertEqual(model.metadata['step'], 1)

    def test_refuses_what_the_lab_refuses_with_the_same_code(self):
        cases = fixtures()['hostile']
        self.assertGreaterEqual(len(cases), 40)
        for case in cases:
            with self.subTest(case['name']):
                with self.assertRaises(clip_lab.ModelFileError) as caught:
                    clip_lab.load(case['path'])
                self.assertEqual(caught.exception.code, case['code'], str(caught.exception))
                self.assertTrue(str(caught.exception))

    def test_refuses_a_file_above_the_size_limit(self):
        data = read_bytes(fixtures()['models']['conv']['file'])
        with self.assertRaises(clip_lab.ModelFileError) as caught:
            model_file.read(data, max_file_bytes=1000)
        self.assertEqual(caught.exception.code, 'too-large')


class RoundTripTest(unittest.TestCase):
    def test_load_then_save_keeps_everything(self):
        for enc, m in fixtures()['models'].items():
            with self.subTest(encoder=enc):
                model = clip_lab.load(m['file'])
                md = model.metadata
                path = os.path.join(out_dir(), f'roundtrip-{enc}.clip.safetensors')
                clip_lab.save(model, path, optimizer_state=md['optimizer'], created_at=md['created_at'])
                before, meta_before = read_safetensors(read_bytes(m['file']))
                after, meta_after = read_safetensors(read_bytes(path))
                self.assertEqual(sorted(before), sorted(after))
                for name, (dtype, array) in before.items():
                    self.assertEqual(after[name][0], dtype, name)
                    self.assertEqual(after[name][1].tobytes(), array.tobytes(), name)
                self.assertEqual(meta_after['format_version'], '3')
                for key in meta_before:
                    if key != 'format_version':
                        same = meta_after[key] == meta_before[key] or json.loads(meta_after[key]) == json.loads(meta_before[key])
                        self.assertTrue(same, key)

    def test_calibration_is_read_as_the_lab_reads_it(self):
        tensors, meta = read_safetensors(read_bytes(fixtures()['models']['conv']['file']))
        good = {'method': 'platt', 'a': 1.5, 'b': -0.25, 'step': 6, 'eceCalibrated': 0.04}
        stacked = {'method': 'stacked', 'wz': -0.125, 'wc': 7.5, 'b': -2.25, 'step': 6, 'eceCalibrated': 0.055}
        cases = [  # (name, calibration value or None to leave the key out, expected parse or error)
            ('absent: uncalibrated', None, None),
            ('valid', json.dumps(good), good),
            ('NaN ECE as the lab writes it', json.dumps({**good, 'eceCalibrated': 'NaN'}), 'nan'),
            ('ECE left out', json.dumps({k: v for k, v in good.items() if k != 'eceCalibrated'}), 'nan'),
            ('step written as 6.0', json.dumps({**good, 'step': 6.0}), good),
            ('not JSON', '{', 'bad-header'), ('not an object', '[1, 2]', 'bad-header'),
            ('another method', json.dumps({**good, 'method': 'isotonic'}), 'bad-header'),
            ('a missing', json.dumps({k: v for k, v in good.items() if k != 'a'}), 'bad-header'),
            ('b a string', json.dumps({**good, 'b': '0.1'}), 'bad-header'),
            ('a infinite', json.dumps({**good, 'a': 'Infinity'}), 'bad-header'),
            ('a boolean', json.dumps({**good, 'a': True}), 'bad-header'),
            ('negative step', json.dumps({**good, 'step': -1}), 'bad-header'),
            ('fractional step', json.dumps({**good, 'step': 1.5}), 'bad-header'),
            ('ECE null', json.dumps({**good, 'eceCalibrated': None}), 'bad-header'),
            ('stacked', json.dumps(stacked), stacked),
            ('stacked without its cosine weight', json.dumps({k: v for k, v in stacked.items() if k != 'wc'}), 'bad-header'),
            ('stacked with a string weight', json.dumps({**stacked, 'wz': '1'}), 'bad-header'),
            ('stacked with an infinite offset', json.dumps({**stacked, 'b': 'Infinity'}), 'bad-header'),
        ]
        for name, value, expected in cases:
            with self.subTest(name):
                m = {k: v for k, v in meta.items() if k != 'calibration'}
                if value is not None:
                    m['calibration'] = value
                data = write_safetensors([(n, a) for n, (_, a) in tensors.items()], m)
                if expected in ('bad-header',):
                    with self.assertRaises(clip_lab.ModelFileError) as caught:
                        clip_lab.load(data)
                    self.assertEqual(caught.exception.code, expected, str(caught.exception))
                    self.assertIn("'calibration'", str(caught.exception))
                    continue
                got = clip_lab.load(data).metadata['calibration']
                if expected == 'nan':
                    self.assertTrue(np.isnan(got['eceCalibrated']))
                else:
                    self.assertEqual(got, expected)

    def test_save_keeps_or_drops_the_calibration(self):
        m = fixtures()['models']['conv']
        model = clip_lab.load(m['file'])
        self.assertEqual(model.metadata['calibration'], {**m['calibration'], 'eceCalibrated': model.metadata['calibration']['eceCalibrated']})
        same = lambda c: encode_calibration(c) if c else c  # NaN ECE compares as its written form
        self.assertEqual(same(clip_lab.load(clip_lab.save(model)).metadata['calibration']), same(model.metadata['calibration']))
        self.assertIsNone(clip_lab.load(clip_lab.save(model, calibration=None)).metadata['calibration'])
        self.assertNotIn('calibration', read_safetensors(clip_lab.save(model, calibration=None))[1])
        scores = lambda mdl: clip_lab.score(mdl, torch.zeros(mdl.config['imageSize'], mdl.config['imageSize'], 3), ['a red circle'])
        raw = scores(clip_lab.load(clip_lab.save(model, calibration=None)))
        self.assertFalse(raw['calibrated'])
        self.assertEqual(float(raw['probability'][0]), float(raw['raw_probability'][0]))  # uncalibrated: P(match) is the raw one

    def test_save_without_optimizer_state_loads_with_none(self):
        model = clip_lab.load(fixtures()['models']['bow']['file'])
        data = clip_lab.save(model)
        again = clip_lab.load(data)
        self.assertIsNone(again.metadata['optimizer'])
        self.assertFalse(any(n.startswith('optimizer/') for n in read_safetensors(data)[0]))

    def test_still_loads_format_version_1(self):
        tensors, meta = read_safetensors(read_bytes(fixtures()['models']['conv']['file']))
        meta = {**meta, 'format_version': '1', 'preprocessing': json.dumps({'resize': 'bilinear, high quality'})}
        v1 = write_safetensors([(n, a) for n, (_, a) in tensors.items()], meta)
        model = clip_lab.load(v1)
        self.assertEqual(model.metadata['format_version'], 1)
        self.assertEqual(clip_lab.preprocess.__module__, 'clip_lab')  # preprocess falls back to the 128 px stored side

    def test_safetensors_round_trip_of_scalars_and_ints(self):
        data = write_safetensors([('s', np.array(2.5, np.float32)), ('i', np.arange(6, dtype=np.int32).reshape(2, 3))], {'k': 'v'})
        tensors, meta = read_safetensors(data)
        self.assertEqual(tensors['s'][1].shape, ())
        self.assertEqual(tensors['i'][1].tolist(), [[0, 1, 2], [3, 4, 5]])
        self.assertEqual(meta, {'k': 'v'})
        self.assertEqual(int.from_bytes(data[:8], 'little') % 8, 0)


if __name__ == '__main__':
    unittest.main()
