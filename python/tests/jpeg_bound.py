"""Measurement helper (README, python/ section): end-to-end score differences between the lab's
Node pipeline (jpeg-js; scores from jpeg-scores.ts) and clip_lab's (Pillow) for one model.
Usage: python3 -m tests.jpeg_bound MODEL SCORES.json"""
import json
import sys

import numpy as np
import torch

import clip_lab


def main(model_path, scores_path):
    model = clip_lab.load(model_path)
    with open(scores_path, encoding='utf-8') as f:
        lab = json.load(f)
    img = clip_lab.embed_images(model, lab['paths'])
    txt = clip_lab.embed_texts(model, lab['captions'])
    with torch.no_grad():
        prob = model.match_probability(img, txt).numpy()
    dcos = np.abs((img * txt).sum(1).numpy() - lab['cosine'])
    dprob = np.abs(prob - lab['probability'])
    print(f"{len(lab['paths'])} images: |cosine diff| mean {dcos.mean():.2e} max {dcos.max():.2e}; "
          f"|P(match) diff| mean {dprob.mean():.2e} max {dprob.max():.2e}")


if __name__ == '__main__':
    main(*sys.argv[1:3])
