"""The pretrained-tower path in PyTorch, the reference for bench/ratio-pretrained.ts.

--mode head: one training step of the head-only model, as src/train/featureStep.ts runs it for the
page's pretrained setup: cached backbone features [B, F] -> dropout(0.5) -> Linear(F, 256); 'bow'
text tower: the mean of the caption's word embeddings (Embedding(V, 256), PAD = 0 left out) ->
Linear(256, 256); L2-normalised, logits = exp(logit_scale) * img @ txt.T, symmetric cross-entropy;
AdamW(1e-3, weight decay 0.1 on matrices only, eps 1e-7), logit_scale clamped to ln(100); batch 128.
Synthetic seeded features and tokens (the lab side uses its own, same shapes).

--mode pass: the feature pass: torchvision's mobilenet_v2 (width 1.0, random weights: timing only)
up to its pooled 1,280-d features, eval mode, no gradients, batch 32 at 224 px.

Usage: python3 bench/pytorch_pretrained.py --mode head|pass [--threads N] [--steps N] [--warmup N]
Prints one JSON object: torch version, threads, ms per step or batch (wall clock and this
process's CPU time).
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class HeadClip(nn.Module):
    def __init__(self, features=1792, vocab=5000, width=256, dim=256, dropout=0.5):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.proj_image = nn.Linear(features, dim)
        self.embedding = nn.Embedding(vocab, width, padding_idx=0)
        self.proj_text = nn.Linear(width, dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def forward(self, features, tokens):
        img = F.normalize(self.proj_image(self.dropout(features)), dim=-1)
        mask = (tokens > 0).float().unsqueeze(-1)  # (B, T, 1)
        pooled = (self.embedding(tokens) * mask).sum(1) / mask.sum(1).clamp(min=1)
        txt = F.normalize(self.proj_text(pooled), dim=-1)
        logits = self.logit_scale.exp() * img @ txt.t()
        labels = torch.arange(features.shape[0])
        return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2


def time_steps(step, steps, warmup):
    times, cpu_times, out = [], [], None
    for i in range(warmup + steps):
        t0, c0 = time.perf_counter(), time.process_time()
        out = step()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
            cpu_times.append((time.process_time() - c0) * 1000)
    return times, cpu_times, out


def head(args):
    model = HeadClip(features=args.features)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}], lr=1e-3, eps=1e-7)
    B, T = 128, 24
    features = torch.rand(B, args.features)
    lengths = torch.randint(8, T + 1, (B,))
    tokens = torch.randint(2, 5000, (B, T)) * (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model(features, tokens)
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(max=math.log(100))
        return loss.item()  # a read-back every step, as the lab's timed steps do

    return {"batch": B, "features": args.features}, time_steps(step, args.steps, args.warmup)


def feature_pass(args):
    import torchvision
    from torchvision.models import mobilenet_v2

    model = mobilenet_v2(weights=None).eval()  # random weights: the timing does not depend on them
    images = torch.rand(32, 3, 224, 224)

    def step():
        with torch.no_grad():
            pooled = F.adaptive_avg_pool2d(model.features(images), 1).flatten(1)  # (32, 1280)
        return pooled.shape[1]

    return {"batch": 32, "size": 224, "torchvision": torchvision.__version__}, time_steps(step, args.steps, args.warmup)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["head", "pass"], required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--features", type=int, default=1792)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    shape, (times, cpu_times, out) = (head if args.mode == "head" else feature_pass)(args)
    print(json.dumps({"torch": torch.__version__, "mode": args.mode, "threads": torch.get_num_threads(), **shape, "ms": times, "cpuMs": cpu_times, "out": out}))


if __name__ == "__main__":
    main()
