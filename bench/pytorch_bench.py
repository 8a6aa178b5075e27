"""The `bench` preset's model in PyTorch on the CPU, as the reference for the TF.js timings.

Same shapes and maths as src/model (config.ts BENCH): CLIP mean/std normalisation, 4 x conv3x3
stride 2 pad 1 (32-64-128-256) + ReLU on 64x64x3, global average pool, Linear(256, 128);
Embedding(5000, 128) over 24 tokens, mean over non-PAD tokens, Linear(128, 128); L2-normalised
features, logits = exp(logit_scale) * img @ txt.T, symmetric cross-entropy; Adam(1e-3, eps 1e-7);
batch 64. The embedding is PyTorch's gather (TF.js uses a counts x matrix product instead).

Usage: python3 bench/pytorch_bench.py [--threads N] [--steps N] [--warmup N]
Prints one JSON object: torch version, threads, ms per step (each timed step), loss.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]


class BenchClip(nn.Module):
    def __init__(self, vocab=5000, width=128, dim=128, channels=(32, 64, 128, 256)):
        super().__init__()
        convs, cin = [], 3
        for cout in channels:
            convs.append(nn.Conv2d(cin, cout, 3, stride=2, padding=1))
            cin = cout
        self.convs = nn.ModuleList(convs)
        self.proj_image = nn.Linear(cin, dim)
        self.embedding = nn.Embedding(vocab, width, padding_idx=0)
        self.proj_text = nn.Linear(width, dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))

    def encode_image(self, images):  # (B, 3, S, S) in 0..1 -> (B, D)
        x = (images - self.mean) / self.std
        for conv in self.convs:
            x = F.relu(conv(x))
        return F.normalize(self.proj_image(x.mean(dim=(2, 3))), dim=-1)

    def encode_text(self, tokens):  # (B, T) int64, PAD = 0 -> (B, D)
        mask = (tokens > 0).float().unsqueeze(-1)  # (B, T, 1)
        pooled = (self.embedding(tokens) * mask).sum(1) / mask.sum(1).clamp(min=1)
        return F.normalize(self.proj_text(pooled), dim=-1)

    def forward(self, images, tokens):
        img, txt = self.encode_image(images), self.encode_text(tokens)
        logits_per_image = self.logit_scale.exp() * img @ txt.t()
        labels = torch.arange(images.shape[0])
        return (F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_image.t(), labels)) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = BenchClip()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    B, T = args.batch, 24
    images = torch.rand(B, 3, 64, 64)
    lengths = torch.randint(8, T + 1, (B,))
    tokens = torch.randint(2, 5000, (B, T)) * (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1))
    times, loss = [], float("nan")
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        out = model(images, tokens)
        out.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(max=math.log(100))
        loss = out.item()
        if i >= args.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": B, "stepMs": times, "loss": loss}))


if __name__ == "__main__":
    main()
