"""The `bench` (and `default`) preset's model in PyTorch, on the CPU or CUDA, as the reference for
the TF.js timings.

Same shapes and maths as src/model (config.ts BENCH): CLIP mean/std normalisation, 4 x conv3x3
stride 2 pad 1 (32-64-128-256) + ReLU on 64x64x3, global average pool, Linear(256, 128);
Embedding(5000, 128) over 24 tokens, mean over non-PAD tokens, Linear(128, 128); L2-normalised
features, logits = exp(logit_scale) * img @ txt.T, symmetric cross-entropy; Adam(1e-3, eps 1e-7);
batch 64. The embedding is PyTorch's gather (TF.js uses a counts x matrix product instead).

`--preset default` (config.ts DEFAULT): the same image CNN plus Linear(256, 256) + ReLU, projection
to 256; Embedding(5000, 256), 2 residual Conv1d(256, 256, 3, pad 1) + ReLU blocks with PAD rows
kept 0, masked mean, Linear(256, 256); the match classifier MLP over [u, v, u*v, |u-v|] (1024 ->
256 -> 1) with binary cross-entropy on the B true pairs and B negatives (half the hardest wrong
caption, half random); augmentation (reflect pad 8, random crop, flip, brightness/contrast);
AdamW(1e-3, weight decay 0.1, eps 1e-7).

Usage: python3 bench/pytorch_bench.py [--preset bench|default] [--device cpu|cuda] [--threads N] [--steps N] [--warmup N]
Prints one JSON object: torch version, device, threads, ms per step (each timed step, wall clock and
this process's CPU time), loss.
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


class DefaultClip(BenchClip):
    def __init__(self, vocab=5000, width=256, dim=256, hidden=256, text_layers=2):
        super().__init__(vocab=vocab, width=width, dim=dim)
        self.image_fc = nn.Linear(256, 256)
        self.proj_image = nn.Linear(256, dim)
        self.text_convs = nn.ModuleList([nn.Conv1d(width, width, 3, padding=1) for _ in range(text_layers)])
        self.match_fc0 = nn.Linear(4 * dim, hidden)
        self.match_fc1 = nn.Linear(hidden, 1)

    def encode_image(self, images):
        x = (images - self.mean) / self.std
        for conv in self.convs:
            x = F.relu(conv(x))
        return F.normalize(self.proj_image(F.relu(self.image_fc(x.mean(dim=(2, 3))))), dim=-1)

    def encode_text(self, tokens):
        mask = (tokens > 0).float().unsqueeze(-1)  # (B, T, 1)
        h = self.embedding(tokens) * mask  # (B, T, C)
        for conv in self.text_convs:
            h = h + F.relu(conv(h.transpose(1, 2)).transpose(1, 2)) * mask
        pooled = (h * mask).sum(1) / mask.sum(1).clamp(min=1)
        return F.normalize(self.proj_text(pooled), dim=-1)

    def match_logits(self, u, v):
        pair = torch.cat([u, v, u * v, (u - v).abs()], dim=1)
        return self.match_fc1(F.relu(self.match_fc0(pair))).squeeze(1)

    def forward(self, images, tokens):
        images = augment(images)
        img, txt = self.encode_image(images), self.encode_text(tokens)
        sim = img @ txt.t()
        B = images.shape[0]
        labels = torch.arange(B, device=images.device)
        logits = self.logit_scale.exp() * sim
        clip = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
        with torch.no_grad():  # negatives: the hardest wrong caption for the first half, random for the rest
            hard = (sim - 1e9 * torch.eye(B, device=sim.device)).argmax(1)
            rand = (torch.arange(B, device=sim.device) + 1 + torch.randint(0, B - 1, (B,), device=sim.device)) % B
            neg = torch.where(torch.arange(B, device=sim.device) < (B + 1) // 2, hard, rand)
        match = self.match_logits(torch.cat([img, img]), torch.cat([txt, txt[neg]]))
        target = torch.cat([torch.ones(B, device=sim.device), torch.zeros(B, device=sim.device)])
        return clip + F.binary_cross_entropy_with_logits(match, target)


def augment(images):  # (B, 3, S, S) in 0..1, as src/model/augment.ts: reflect pad, crop, flip, jitter
    B, _, S, _ = images.shape
    pad = max(1, round(S / 8))
    padded = F.pad(images, (pad, pad, pad, pad), mode="reflect")
    ys = torch.randint(0, 2 * pad + 1, (B,)).tolist()
    xs = torch.randint(0, 2 * pad + 1, (B,)).tolist()
    crops = torch.stack([padded[b, :, y:y + S, x:x + S] for b, (y, x) in enumerate(zip(ys, xs))])
    flip = torch.rand(B, device=images.device) < 0.5
    crops = torch.where(flip.view(B, 1, 1, 1), crops.flip(3), crops)
    mean = crops.mean(dim=(1, 2, 3), keepdim=True)
    contrast = 1 + (torch.rand(B, 1, 1, 1, device=images.device) * 2 - 1) * 0.2
    brightness = (torch.rand(B, 1, 1, 1, device=images.device) * 2 - 1) * 0.1
    return ((crops - mean) * contrast + mean + brightness).clamp(0, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--preset", choices=["bench", "default"], default="bench")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    dev = torch.device(args.device)
    cuda = dev.type == "cuda"
    model = (DefaultClip() if args.preset == "default" else BenchClip()).to(dev)
    if args.preset == "default":
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, eps=1e-7, weight_decay=0.1)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    B, T = args.batch, 24
    images = torch.rand(B, 3, 64, 64, device=dev)
    lengths = torch.randint(8, T + 1, (B,))
    tokens = (torch.randint(2, 5000, (B, T)) * (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1))).to(dev)
    times, cpu_times, loss = [], [], float("nan")
    for i in range(args.warmup + args.steps):
        if cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        c0 = time.process_time()  # CPU time of this process, all threads
        opt.zero_grad(set_to_none=True)
        out = model(images, tokens)
        out.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(max=math.log(100))
        loss = out.item()  # a read-back every step, as the lab's timed steps do (it also syncs CUDA)
        if i >= args.warmup:
            times.append((time.perf_counter() - t0) * 1000)
            cpu_times.append((time.process_time() - c0) * 1000)
    device = torch.cuda.get_device_name(dev) if cuda else "cpu"
    print(json.dumps({"torch": torch.__version__, "preset": args.preset, "device": device, "threads": torch.get_num_threads(), "batch": B, "stepMs": times, "cpuMs": cpu_times, "loss": loss}))


if __name__ == "__main__":
    main()
