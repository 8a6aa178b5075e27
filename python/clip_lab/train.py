"""Continue training a CLIP Lab model (or start one from a preset) on a dataset folder, on one
process or many with DistributedDataParallel (gloo on CPU, nccl on GPU), and write lab files:

  torchrun --nproc_per_node 2 -m clip_lab.train --data DIR --resume model.clip.safetensors --steps 500 --out out.clip.safetensors
  python3 -m torch.distributed.run --standalone --nproc_per_node 2 -m clip_lab.train ...   (Debian torch 1.13 on Python 3.11)

The global batch is config.batchSize, split evenly across ranks; each rank encodes its share, the
embeddings are gathered so the loss sees the whole batch (same loss, negatives and gradients as
one process), and DDP averages the gradients. Rank 0 evaluates and writes the files. Files written
here carry no `calibration`: a resumed file's Platt fit belongs to its old weights, and this
evaluation does not refit it, so the page reads them as uncalibrated (the lab refits on its next eval)."""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from .config import with_overrides
from .data import load_folder
from .model import ClipLab
from .metadata import preprocessing_spec
from .metrics import caption_text_groups
from .model_file import load, save
from .pixels import resize_square
from .tokenizer import Tokenizer
from .training import (adamw, augment, eval_subset, evaluate, has_side_words, lab_init_, learning_rate_at, load_optimizer_state,
                       not_negative_mask, objective, optimizer_state, plan_epoch, random_negative_selection, step_metrics, step_random,
                       valid_negative_rows)


class GatherShards(torch.autograd.Function):
    """x [b, D] on each rank -> [world * b, D] in rank order. Every rank computes the same loss from
    the gathered batch, so the gradient of its own shard is world x its slice (DDP then averages)."""

    @staticmethod
    def forward(ctx, x):
        ctx.rank, ctx.world, ctx.b = dist.get_rank(), dist.get_world_size(), x.shape[0]
        parts = [torch.empty_like(x) for _ in range(ctx.world)]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.rank * ctx.b:(ctx.rank + 1) * ctx.b] * ctx.world


class Objective(nn.Module):
    """The DDP-wrapped step: local shard -> gathered embeddings -> the lab's loss over the whole batch."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images, tokens, random_sels, not_negative, valid_rows):
        img, txt = self.model.encode_image(images), self.model.encode_text(tokens)
        if dist.is_initialized() and dist.get_world_size() > 1:
            img, txt = GatherShards.apply(img), GatherShards.apply(txt)
        return objective(self.model, img, txt, random_sels, not_negative, valid_rows)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Train a CLIP Lab model on a dataset folder; writes files the lab imports.')
    p.add_argument('--data', required=True, help='dataset folder (Kaggle/Flickr8k/Flickr30k/COCO/CSV layout)')
    p.add_argument('--resume', help='a lab file to continue from (weights, optimizer state, data cursor, history)')
    p.add_argument('--preset', default='tiny', choices=['tiny', 'default', 'bench'])
    p.add_argument('--text-encoder', choices=['conv', 'bow', 'transformer'])
    p.add_argument('--seed', type=int)
    p.add_argument('--set', action='append', default=[], metavar='KEY=JSON', help='config override, e.g. --set textLayers=2 (new runs only)')
    p.add_argument('--epochs', type=int, help='total epochs (default: the config\'s)')
    p.add_argument('--steps', type=int, help='stop after this many optimiser steps in all (evaluates then)')
    p.add_argument('--out', help='final file; checkpoints go to OUT with .step<N> before the extension')
    p.add_argument('--limit', type=int, help='keep only the first N images of the folder')
    p.add_argument('--cache', help='a .npz of the decoded folder, written on first use (rank 0)')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--threads', type=int, help='torch threads per process')
    return p.parse_args(argv)


def load_data(args, rank, log):
    if args.cache and os.path.exists(args.cache):
        z = np.load(args.cache, allow_pickle=False)
        return {'name': str(z['name']), 'pixels': z['pixels'], 'splits': z['splits'], 'names': list(z['names']),
                'captions': list(zip(z['caption_image'].tolist(), z['caption_text'].tolist()))}
    if args.cache and rank != 0:
        dist.barrier()  # rank 0 writes the cache
        return load_data(args, rank, log)
    data = load_folder(args.data, limit=args.limit, log=log)
    if args.cache:
        np.savez(args.cache, name=data['name'], pixels=data['pixels'], splits=data['splits'], names=np.array(data['names']),
                 caption_image=np.array([c[0] for c in data['captions']]), caption_text=np.array([c[1] for c in data['captions']]))
        if dist.is_initialized():
            dist.barrier()
    return data


def main(argv=None):
    args = parse_args(argv)
    world = int(os.environ.get('WORLD_SIZE', '1'))
    device = torch.device(args.device)
    if world > 1:
        dist.init_process_group('nccl' if device.type == 'cuda' else 'gloo')
        if device.type == 'cuda':
            device = torch.device('cuda', int(os.environ.get('LOCAL_RANK', '0')))
            torch.cuda.set_device(device)
    rank = dist.get_rank() if world > 1 else 0
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.backends.mkldnn.enabled = False  # Debian torch 1.13's oneDNN conv bias gradients are wrong (README)
    log = (lambda s: print(f'[rank 0] {s}', flush=True)) if rank == 0 else (lambda s: None)

    resume = load(args.resume) if args.resume else None
    if resume:
        config = dict(resume.config)
    else:
        overrides = {k: v for k, v in (('textEncoder', args.text_encoder), ('seed', args.seed)) if v is not None}
        overrides.update((kv.split('=', 1)[0], json.loads(kv.split('=', 1)[1])) for kv in args.set)
        config = with_overrides(args.preset, **overrides)
    if args.epochs:
        config['epochs'] = args.epochs
    B = config['batchSize']
    if B % world:
        raise SystemExit(f'batchSize {B} must divide by the {world} processes')
    data = load_data(args, rank, log)
    caption_image = [c[0] for c in data['captions']]
    train_ids = [j for j, i in enumerate(caption_image) if data['splits'][i] == 0]
    tokenizer = Tokenizer(resume.vocab) if resume else Tokenizer.build(
        [data['captions'][j][1] for j in train_ids], config['vocabSize'], config['minWordCount'])
    tokens = tokenizer.encode_batch([c[1] for c in data['captions']], config['maxTokens'])  # [Nc, T]
    pixels = resize_square(data['pixels'], config['imageSize'])  # [N, S, S, 3] uint8
    per_epoch = len(train_ids) // B
    if args.steps and not args.epochs:  # enough epochs for the steps (a plan may hold a batch fewer than nominal)
        config['epochs'] = max(config['epochs'] if resume else 1, math.ceil(args.steps / max(1, per_epoch - 1)))
    total_steps = config['epochs'] * per_epoch
    groups = caption_text_groups([c[1] for c in data['captions']])  # captions of equal text are one caption (R@K, negatives)
    image_groups = [set() for _ in range(len(data['pixels']))]  # text groups of each image's captions
    for j, i in enumerate(caption_image):
        image_groups[i].add(groups[j])
    side_words = [has_side_words(c[1]) for c in data['captions']]  # never flipped
    image_ids, caption_ids = eval_subset(data['splits'], caption_image, config['maxEvalImages'])

    model = resume if resume else ClipLab(config, tokenizer.vocab)
    model.config = config
    model.preprocessing = preprocessing_spec(config)  # trained on here on Pillow-decoded, area-averaged pixels
    if not resume:
        lab_init_(model, config['seed'])
    model.to(device).train()
    optimizer = adamw(model, config)
    if resume and resume.metadata.get('optimizer'):
        load_optimizer_state(model, optimizer, resume.metadata['optimizer'])
    md = resume.metadata if resume else {}
    if md.get('calibration'):
        log(f"dropping the file's calibration (Platt fit at step {md['calibration']['step']}): it belongs to the old weights; "
            'files written here are uncalibrated until the lab evaluates them again')
        md['calibration'] = None
    step, epoch, batch_in_epoch = md.get('step', 0), md.get('epoch', 0), md.get('batch_in_epoch', 0)
    history = md.get('metrics', {'steps': [], 'evals': []})
    history = {'steps': list(history['steps']), 'evals': list(history['evals'])}
    objective_ = Objective(model)
    runner = DistributedDataParallel(objective_) if world > 1 else objective_
    log(f"{world} process(es) on {device}; {config['preset']} preset, {config['textEncoder']} text, batch {B} "
        f"({B // world} per process), {per_epoch} steps/epoch, from step {step}; {len(train_ids)} train captions")

    def write(path):
        model.metadata.update(step=step, epoch=epoch, batch_in_epoch=batch_in_epoch, metrics=history, dataset_name=data['name'])
        save(model, path, optimizer_state=optimizer_state(model, optimizer), step=step, epoch=epoch, batch_in_epoch=batch_in_epoch,
             metrics=history, dataset_name=data['name'], calibration=None)
        log(f'wrote {path} (step {step})')

    def run_eval():
        model.eval()
        m = evaluate(model, pixels, tokens, caption_image, image_ids, caption_ids, step, epoch, B, config['seed'], groups)
        model.train()
        if m:
            history['evals'].append(m)
            log(f"eval step {step}: val loss {m['valLoss']:.3f} i2t R@1/5/10 {m['i2t']['r1']:.3f}/{m['i2t']['r5']:.3f}/{m['i2t']['r10']:.3f} "
                f"t2i {m['t2i']['r1']:.3f}/{m['t2i']['r5']:.3f}/{m['t2i']['r10']:.3f} auc {m['auc'] if m['auc'] is None else round(m['auc'], 3)} ({m['images']} images)")

    lo, hi = rank * (B // world), (rank + 1) * (B // world)
    t0 = clock = time.perf_counter()
    stop = False
    while epoch < config['epochs'] and not stop:
        plan = plan_epoch(caption_image, train_ids, B, config['seed'], epoch)
        while batch_in_epoch < len(plan):
            ids = plan[batch_in_epoch]
            lr = learning_rate_at(step, config, total_steps)
            for g in optimizer.param_groups:
                g['lr'] = lr
            random = step_random(config['seed'], step)
            images = torch.from_numpy(pixels[[caption_image[j] for j in ids]].astype(np.float32) / 255)  # [B, S, S, 3]
            if config['augment']:
                images = augment(images, random, [side_words[j] for j in ids])
            excluded = not_negative_mask(tokens[ids], [groups[j] for j in ids], [image_groups[caption_image[j]] for j in ids])  # [B, B]
            random_sels = [random_negative_selection(B, random, excluded) for _ in range(config['matchNegatives'])]
            loss, parts = runner(images[lo:hi].to(device), torch.from_numpy(tokens[ids[lo:hi]]).to(device), random_sels,
                                 torch.from_numpy(excluded).to(device), torch.from_numpy(valid_negative_rows(excluded)).to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            model.clamp_logit_scale()
            step += 1
            batch_in_epoch += 1
            if rank == 0:
                now = time.perf_counter()
                m = step_metrics(loss.detach(), parts, step, epoch, lr, (now - clock) * 1000)
                clock = now
                history['steps'].append(m)
                if not math.isfinite(m['loss']):
                    raise SystemExit(f"step {step}: the loss became {m['loss']}")
                if step % 10 == 0 or step == 1:
                    log(f"step {step} epoch {epoch} loss {m['loss']:.3f} acc {m['accI2T']:.2f}/{m['accT2I']:.2f} {m['msPerStep']:.0f} ms/step")
                if step % config['checkpointEverySteps'] == 0 and args.out:
                    write(f"{args.out.rsplit('.clip.safetensors', 1)[0]}.step{step}.clip.safetensors")
            if args.steps and step >= args.steps:
                stop = True
                break
        if stop:
            break
        if rank == 0 and (config['evalEveryEpoch'] or epoch == config['epochs'] - 1):
            run_eval()
        epoch += 1
        batch_in_epoch = 0
    if rank == 0:
        if not history['evals'] or history['evals'][-1]['step'] != step:
            run_eval()
        log(f'done: {step} steps in {time.perf_counter() - t0:.1f} s')
        if args.out:
            write(args.out)
    print(f'rank {rank} of {world} finished at step {step}', flush=True)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == '__main__':
    main()
