"""clip_lab: load CLIP Lab's model files in PyTorch, reproduce the page's scores, save files the page
imports, and continue training with torchrun (python -m clip_lab.train). See the README's python/ section."""
import numpy as np
import torch

from .errors import ClipLabError, ConfigError, DataError, ModelFileError
from .metrics import image_text_retrieval, retrieval_metrics, roc_auc
from .model import ClipLab
from .model_file import load, save
from .pixels import STORED_SIDE, decode, preprocess as _preprocess
from .tokenizer import Tokenizer, tokenize

__all__ = ['ClipLab', 'load', 'save', 'preprocess', 'embed_images', 'embed_texts', 'score', 'calibrated_probability', 'retrieval_metrics',
           'image_text_retrieval', 'roc_auc', 'tokenize', 'Tokenizer', 'ClipLabError', 'ModelFileError', 'ConfigError',
           'DataError', 'decode']


def _stored_side(model):
    spec = model.preprocessing
    return spec['stored']['side'] if isinstance(spec, dict) and isinstance(spec.get('stored'), dict) else STORED_SIDE


def preprocess(image, model):
    """A PIL image or path -> float32 tensor [S, S, 3] in 0..1: the pipeline model.preprocessing names
    (centre crop, area average to the stored side, then to the model's side)."""
    return torch.from_numpy(_preprocess(image, model.config['imageSize'], _stored_side(model)))


def _device(model):
    return next(model.parameters()).device


@torch.no_grad()
def embed_images(model, images, batch_size=256):
    """PIL images / paths, or a float tensor [B, S, S, 3] in 0..1 -> [B, D] unit rows."""
    if not torch.is_tensor(images):
        images = torch.stack([preprocess(im, model) for im in images])
    out = [model.encode_image(images[i:i + batch_size].to(_device(model)).float()) for i in range(0, len(images), batch_size)]
    return torch.cat(out) if out else torch.zeros(0, model.config['embedDim'])


@torch.no_grad()
def embed_texts(model, texts, batch_size=1024):
    """Captions -> [N, D] unit rows (the file's vocab and maxTokens)."""
    tok = Tokenizer(model.vocab)
    ids = torch.from_numpy(tok.encode_batch(list(texts), model.config['maxTokens']))
    out = [model.encode_text(ids[i:i + batch_size].to(_device(model))) for i in range(0, len(ids), batch_size)]
    return torch.cat(out) if out else torch.zeros(0, model.config['embedDim'])


def calibrated_probability(model, logits, cosine=None):
    """Raw match-classifier logits (and the pairs' cosines) -> P(match) as the page shows it (ModelSession),
    in float64: sigmoid(wz * logit + wc * cosine + b) with the file's stacked calibration, sigmoid(a * logit + b)
    with a Platt one (older files), else sigmoid(logit) itself (an uncalibrated model)."""
    z = torch.as_tensor(logits)
    c = model.metadata.get('calibration')
    if not c:
        return torch.sigmoid(z)
    if c['method'] == 'stacked':
        if cosine is None:
            raise ValueError("calibrated_probability: expected the pairs' cosines for a stacked calibration, found none")
        return torch.sigmoid(c['wz'] * z.double() + c['wc'] * torch.as_tensor(cosine).double() + c['b'])
    return torch.sigmoid(c['a'] * z.double() + c['b'])


@torch.no_grad()
def score(model, image, captions):
    """One image against captions, as the page's Use panel: {'probability': P(match) [N], calibrated by the
    file's calibration when it has one (None without a match classifier), 'raw_probability': sigmoid of
    the classifier's logit, 'calibrated': whether 'probability' is calibrated, 'cosine': [N],
    'softmax': CLIP's softmax of exp(logit_scale) * cosine over the captions}."""
    img = embed_images(model, [image]) if not torch.is_tensor(image) else embed_images(model, image.reshape(1, *image.shape[-3:]))
    txt = embed_texts(model, captions)
    cosine = (img @ txt.t())[0]
    logits = model.match_logits(img.expand(len(captions), -1), txt) if model.has_match_head else None
    return {'probability': None if logits is None else calibrated_probability(model, logits, cosine),
            'raw_probability': None if logits is None else torch.sigmoid(logits),
            'calibrated': logits is not None and model.metadata.get('calibration') is not None,
            'cosine': cosine, 'softmax': torch.softmax(model.logit_scale.exp() * cosine, dim=0)}
