"""The model file from Python: it refuses every hostile file the lab refuses, with the lab's error
code; load -> save keeps weights, optimizer state and metadata (the lab then imports the result
and scores identically: python/tests/lab.ts check); version 1 files still load."""
import json
import os
import unittest

import numpy as np

import clip_lab
from clip_lab import model_file
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
                self.assertEqual(meta_after['format_version'], '2')
                for key in meta_before:
                    if key != 'format_version':
                        same = meta_after[key] == meta_before[key] or json.loads(meta_after[key]) == json.loads(meta_before[key])
                        self.assertTrue(same, key)

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
