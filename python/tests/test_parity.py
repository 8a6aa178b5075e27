"""Parity with the lab: Python's embeddings and P(match) equal the lab's on the same model-side pixels
(each text encoder), the preprocessing equals the Node trainer's on lossless files, the JPEG decoder
difference stays inside the documented bound, and tokenizer, folder plans and evaluation agree."""
import os
import unittest

import numpy as np
import torch

import clip_lab
from clip_lab.data import plan_folder
from clip_lab.metrics import caption_text_groups
from clip_lab.pixels import resize_square, stored_pixels
from clip_lab.tokenizer import Tokenizer
from clip_lab.training import eval_subset, evaluate

from .fixtures import fixtures, require_originals, sample_data

TOLERANCE = 1e-5
# Pillow (libjpeg) vs the Node trainer's jpeg-js, tiny models of these tests (README: measured bound).
JPEG_MEAN_LEVELS, JPEG_MAX_LEVELS, JPEG_SCORE = 1.0, 8, 0.01


class ParityTest(unittest.TestCase):
    def test_embeddings_and_match_probability_equal_the_labs(self):
        for enc, m in fixtures()['models'].items():
            with self.subTest(encoder=enc):
                model = clip_lab.load(m['file'])
                self.assertEqual(model.config['textEncoder'], enc)
                S = model.config['imageSize']
                pixels = torch.from_numpy(np.array(m['pixels'], np.uint8).reshape(-1, S, S, 3).astype(np.float32) / 255)
                img = clip_lab.embed_images(model, pixels)
                txt = clip_lab.embed_texts(model, m['captions'])
                with torch.no_grad():
                    prob = model.match_probability(img, txt).numpy()
                lab = m['scores']
                self.assertLessEqual(np.abs(img.numpy().ravel() - lab['img']).max(), TOLERANCE)
                self.assertLessEqual(np.abs(txt.numpy().ravel() - lab['txt']).max(), TOLERANCE)
                self.assertLessEqual(np.abs((img * txt).sum(1).numpy() - lab['cosine']).max(), TOLERANCE)
                self.assertLessEqual(np.abs(prob - lab['probability']).max(), TOLERANCE)

    def test_score_from_image_files_equals_the_labs(self):
        fx = fixtures()
        for enc, m in fx['models'].items():
            model = clip_lab.load(m['file'])
            for i in range(3):  # probe image i is sample image 7i (python/tests/lab.ts), a PNG: no decoder difference
                path = os.path.join(fx['sample'], 'Images', f'shapes_{7 * i:05d}.png')
                out = clip_lab.score(model, path, [m['captions'][i]])  # (calibrated 'probability': the test below)
                self.assertLessEqual(abs(float(out['raw_probability'][0]) - m['scores']['probability'][i]), TOLERANCE, enc)
                self.assertLessEqual(abs(float(out['cosine'][0]) - m['scores']['cosine'][i]), TOLERANCE, enc)
                self.assertAlmostEqual(float(out['softmax'].sum()), 1.0, places=6)

    def test_calibrated_probability_equals_the_labs(self):
        fx = fixtures()
        calibrated = [enc for enc, m in fx['models'].items() if m['calibration']]
        self.assertTrue(calibrated, 'no lab-written fixture carries a calibration: the parity below would be vacuous')
        for enc in calibrated:
            m = fx['models'][enc]
            model = clip_lab.load(m['file'])
            self.assertEqual({k: v for k, v in model.metadata['calibration'].items() if k != 'eceCalibrated'},
                             {k: v for k, v in m['calibration'].items() if k != 'eceCalibrated'})
            for i in range(3):  # probe image i is sample image 7i, a PNG (as above)
                path = os.path.join(fx['sample'], 'Images', f'shapes_{7 * i:05d}.png')
                out = clip_lab.score(model, path, [m['captions'][i]])
                self.assertTrue(out['calibrated'])
                self.assertLessEqual(abs(float(out['probability'][0]) - m['calibrated'][i]), TOLERANCE, enc)
                self.assertLessEqual(abs(float(out['raw_probability'][0]) - m['scores']['probability'][i]), TOLERANCE, enc)
            weights = ' '.join(f"{k} {v:.3f}" for k, v in m['calibration'].items() if k not in ('method', 'step', 'eceCalibrated'))
            print(f"\n  {enc}: {m['calibration']['method']} {weights}; calibrated P(match) "
                  f"{m['calibrated'][0]:.4f} vs raw {m['scores']['probability'][0]:.4f}", end='')

    def test_preprocessing_equals_the_node_trainer_on_lossless_files(self):
        png = fixtures()['png']  # non-square sizes: 300x180, 203x150, 128x128, 129x200 (all shrink)
        mine = np.stack([stored_pixels(os.path.join(png['dir'], n)) for n in png['names']])
        lab = np.array(png['stored'], np.uint8).reshape(mine.shape)
        self.assertEqual(int(np.abs(mine.astype(int) - lab).max()), 0)

    def test_model_side_resize_equals_the_labs(self):
        m = fixtures()['models']['conv']
        sample = sample_data()
        ids = [i * 7 for i in range(8)]
        mine = resize_square(sample['pixels'][ids], 32)
        self.assertTrue(np.array_equal(mine.reshape(-1), np.array(m['pixels'], np.uint8)))

    def test_jpeg_decoders_differ_within_the_documented_bound(self):
        fx = fixtures()
        j = fx['jpegStored']
        mine = np.stack([stored_pixels(os.path.join(j['dir'], n)) for n in j['names']]).astype(int)
        diff = np.abs(mine - np.array(j['stored']).reshape(mine.shape))
        print(f"\n  JPEG, Pillow vs the lab's wasm libjpeg-turbo at 128 px ({len(j['names'])} images in {os.path.basename(j['dir'])}): "
              f"mean {diff.mean():.2f} levels, max {diff.max()}")
        self.assertLessEqual(diff.mean(), JPEG_MEAN_LEVELS)
        self.assertLessEqual(diff.max(), JPEG_MAX_LEVELS)
        for enc, m in fx['models'].items():
            model = clip_lab.load(m['file'])
            img = clip_lab.embed_images(model, [os.path.join(m['jpeg']['dir'], n) for n in m['jpeg']['names']])
            txt = clip_lab.embed_texts(model, m['jpeg']['captions'])
            with torch.no_grad():
                prob = model.match_probability(img, txt).numpy()
            dcos = np.abs((img * txt).sum(1).numpy() - m['jpeg']['scores']['cosine']).max()
            dprob = np.abs(prob - m['jpeg']['scores']['probability']).max()
            print(f'  {enc}: end to end from the JPEG files, max |cosine diff| {dcos:.2e}, max |P(match) diff| {dprob:.2e}')
            self.assertLessEqual(dcos, JPEG_SCORE)
            self.assertLessEqual(dprob, JPEG_SCORE)

    def test_tokenizer_equals_the_labs(self):
        fx = fixtures()
        for case in fx['tokenizer']:
            self.assertEqual(clip_lab.tokenize(case['text']), case['tokens'], case['text'])
        vb = fx['vocabBuild']
        self.assertEqual(Tokenizer.build(vb['captions'], 20, 1).vocab, vb['vocab'])

    def test_folder_plans_equal_the_labs(self):
        plans = fixtures()['plans']
        sample = plan_folder(fixtures()['sample'])
        self.assertEqual({k: sample[k] for k in ('names', 'splits', 'captions')}, plans['sample'])
        require_originals(self)
        got = plan_folder(os.path.join(os.path.dirname(__file__), '../../../shared/datasets/flickr8k-originals'))
        self.assertEqual({k: got[k] for k in ('names', 'splits', 'captions')}, plans['originals'])

    def test_evaluation_equals_the_labs_final_eval(self):
        data = sample_data()
        for enc, m in fixtures()['models'].items():
            with self.subTest(encoder=enc):
                model = clip_lab.load(m['file'])
                cfg = model.config
                caption_image = [c[0] for c in data['captions']]
                tokens = Tokenizer(model.vocab).encode_batch([c[1] for c in data['captions']], cfg['maxTokens'])
                images, captions = eval_subset(data['splits'], caption_image, cfg['maxEvalImages'])
                got = evaluate(model, resize_square(data['pixels'], cfg['imageSize']), tokens, caption_image, images, captions,
                               m['eval']['step'], m['eval']['epoch'], cfg['batchSize'], cfg['seed'],
                               caption_text_groups([c[1] for c in data['captions']]))
                lab = m['eval']
                for key in ('i2t', 't2i'):
                    self.assertEqual(got[key], lab[key], key)
                self.assertAlmostEqual(got['valLoss'], lab['valLoss'], delta=1e-5)
                self.assertAlmostEqual(got['auc'], lab['auc'], delta=1e-6)
                self.assertEqual((got['images'], got['captions']), (lab['images'], lab['captions']))


if __name__ == '__main__':
    unittest.main()
