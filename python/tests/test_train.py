"""Training in Python follows the lab: from the lab's seeded init on the same (lossless) pixels, the
step losses equal the lab's headless trainer's; two gloo processes (torch.distributed.run) equal one
process, finish on both ranks, lower the loss and write a file the lab imports and continues
(python/tests/lab.ts check). Also the Debian torch 1.13 trap: conv gradients against float64."""
import os
import subprocess
import sys
import unittest

import numpy as np
import torch

import clip_lab
from clip_lab import train
from clip_lab.model import ClipLab
from clip_lab.training import lab_init_

from .fixtures import fixtures, out_dir

STEPS = 24


def cache():
    return os.path.join(out_dir(), 'sample.npz')


def run_python(steps, out, encoder='conv'):
    extra = ['--set', 'textLayers=2', '--set', 'textHeads=4'] if encoder == 'transformer' else []  # as python/tests/lab.ts
    train.main(['--data', fixtures()['sample'], '--steps', str(steps), '--out', out, '--cache', cache(),
                '--text-encoder', encoder, '--threads', '1', *extra])
    return clip_lab.load(out).metadata['metrics']['steps']


class TrainTest(unittest.TestCase):
    def test_step_losses_equal_the_labs_for_each_text_encoder(self):
        for enc, m in fixtures()['models'].items():
            with self.subTest(encoder=enc):
                got = run_python(len(m['steps']), os.path.join(out_dir(), f'python-{enc}.clip.safetensors'), enc)
                lab = [s['loss'] for s in m['steps']]
                diff = np.abs(np.array([s['loss'] for s in got]) - lab).max()
                print(f'\n  {enc}: {len(lab)} steps from scratch, max |loss - lab loss| = {diff:.1e}')
                self.assertLessEqual(diff, 1e-4)

    def test_resuming_a_lab_file_continues_as_an_unbroken_run(self):
        m = fixtures()['models']['conv']  # the lab trained 6 steps; Python continues to 10
        scratch = run_python(10, os.path.join(out_dir(), 'scratch10.clip.safetensors'))
        out = os.path.join(out_dir(), 'resumed.clip.safetensors')
        train.main(['--data', fixtures()['sample'], '--resume', m['file'], '--steps', '10', '--out', out, '--cache', cache(), '--threads', '1'])
        resumed = clip_lab.load(out)
        steps = resumed.metadata['metrics']['steps']
        self.assertEqual([s['step'] for s in steps], list(range(1, 11)))
        self.assertEqual(steps[:6], m['steps'])  # the lab's history kept
        diff = np.abs(np.array([s['loss'] for s in steps[6:]]) - [s['loss'] for s in scratch[6:]]).max()
        print(f'\n  lab file resumed in Python, steps 7-10: max |loss - unbroken Python run| = {diff:.1e}')
        self.assertLessEqual(diff, 1e-4)
        self.assertEqual((resumed.metadata['step'], resumed.metadata['optimizer']['step']), (10, 10))
        self.assertIsNotNone(clip_lab.load(m['file']).metadata['calibration'])  # the lab file had one ...
        self.assertIsNone(resumed.metadata['calibration'])  # ... fitted for older weights: not carried on

    def test_two_gloo_processes_equal_one_and_write_a_lab_file(self):
        one = run_python(STEPS, os.path.join(out_dir(), 'one.clip.safetensors'))
        out = os.path.join(out_dir(), 'ddp.clip.safetensors')
        cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', '--redirects', '1', '--tee', '1',
               '-m', 'clip_lab.train', '--data', fixtures()['sample'], '--steps', str(STEPS), '--out', out, '--cache', cache(), '--threads', '1']
        env = {**os.environ, 'PYTHONPATH': os.path.join(os.path.dirname(__file__), '..')}
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        log = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, log[-3000:])
        for rank in (0, 1):
            self.assertIn(f'[default{rank}]:rank {rank} of 2 finished at step {STEPS}', log)
        two = clip_lab.load(out).metadata['metrics']['steps']
        losses = np.array([s['loss'] for s in two])
        print(f"\n  2 ranks: loss {losses[:4].mean():.3f} (steps 1-4) -> {losses[-4:].mean():.3f} (steps {STEPS - 3}-{STEPS}); "
              f"max |2 ranks - 1 process| = {np.abs(losses - [s['loss'] for s in one]).max():.1e}")
        self.assertEqual(len(two), STEPS)
        self.assertLess(losses[-4:].mean(), losses[:4].mean())
        self.assertLessEqual(np.abs(losses - [s['loss'] for s in one]).max(), 1e-4)

    def test_conv_gradients_match_float64_with_mkldnn_off(self):
        torch.backends.mkldnn.enabled = False
        config = clip_lab.model_file.validate_config({**clip_lab.config.TINY, 'textEncoder': 'conv'})
        model = ClipLab(config, ['<pad>', '<unk>'] + [f'w{i}' for i in range(20)])
        lab_init_(model, 3)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p) * 0.05)  # non-zero biases
        images = torch.rand(4, 32, 32, 3, generator=torch.Generator().manual_seed(1))
        tokens = torch.randint(0, 22, (4, 12), generator=torch.Generator().manual_seed(2))

        def grads(m, dtype):
            m = m.to(dtype)
            m.zero_grad()
            loss = (m.encode_image(images.to(dtype)) @ m.encode_text(tokens).t()).pow(2).sum()
            loss.backward()
            return {n: p.grad.double().clone() for n, p in m.named_parameters() if p.grad is not None}
        g32 = grads(model, torch.float32)
        g64 = grads(model, torch.float64)
        for name in ('image.conv0.bias', 'image.conv2.bias', 'text.conv0.bias', 'image.conv1.kernel'):
            err = (g32[name] - g64[name]).abs().max() / g64[name].abs().max()
            self.assertLess(float(err), 1e-4, name)


if __name__ == '__main__':
    unittest.main()
