"""The lab's CLIP dual encoder in PyTorch (src/model/*.ts), with parameters stored in the file's own
layout and names, so that state_dict() keys are the file's tensor names (image.conv0.kernel is
HWIO [3, 3, Cin, Cout] here too) and loading is a copy. Conv biases are added outside the conv:
Debian's torch 1.13 mkldnn computes wrong conv bias gradients (../shared/TFJS-NOTES.md)."""
import math

import torch
import torch.nn.functional as F
from torch import nn

LOGIT_SCALE_INIT = math.log(1 / 0.07)
LOGIT_SCALE_MAX = math.log(100)
IMAGE_MEAN = [0.48145466, 0.4578275, 0.40821073]  # openai/CLIP's, RGB
IMAGE_STD = [0.26862954, 0.26130258, 0.27577711]


def glorot_(p, fan_in, fan_out):
    limit = math.sqrt(6 / (fan_in + fan_out))
    with torch.no_grad():
        p.uniform_(-limit, limit)
    return p


class Dense(nn.Module):
    """kernel [in, out] (the file's layout), bias [out]: x @ kernel + bias."""

    def __init__(self, fan_in, fan_out):
        super().__init__()
        self.kernel = glorot_(nn.Parameter(torch.empty(fan_in, fan_out)), fan_in, fan_out)
        self.bias = nn.Parameter(torch.zeros(fan_out))

    def forward(self, x):
        return x @ self.kernel + self.bias


class Conv3x3s2(nn.Module):
    """3x3 conv, stride 2, zero padding 1, kernel HWIO [3, 3, Cin, Cout]. x [B, Cin, H, W] -> [B, Cout, Ho, Wo]"""

    def __init__(self, cin, cout):
        super().__init__()
        self.kernel = glorot_(nn.Parameter(torch.empty(3, 3, cin, cout)), 9 * cin, 9 * cout)
        self.bias = nn.Parameter(torch.zeros(cout))

    def forward(self, x):
        return F.conv2d(x, self.kernel.permute(3, 2, 0, 1), stride=2, padding=1) + self.bias[:, None, None]


class Conv1d3(nn.Module):
    """1-D conv over positions, kernel [3, Cin, Cout] (tap k reads t + k - 1), zero padding 1. x [B, T, C] -> [B, T, C]"""

    def __init__(self, c):
        super().__init__()
        self.kernel = glorot_(nn.Parameter(torch.empty(3, c, c)), 3 * c, 3 * c)
        self.bias = nn.Parameter(torch.zeros(c))

    def forward(self, x):
        return F.conv1d(x.transpose(1, 2), self.kernel.permute(2, 1, 0), padding=1).transpose(1, 2) + self.bias


class LayerNorm(nn.Module):
    """gamma, beta [C]; biased variance, eps 1e-5 (tf.moments)."""

    def __init__(self, c):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(c))
        self.beta = nn.Parameter(torch.zeros(c))

    def forward(self, x):
        return F.layer_norm(x, x.shape[-1:], self.gamma, self.beta, eps=1e-5)


class Attention(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.heads = heads
        self.qkv = Dense(c, 3 * c)
        self.out = Dense(c, c)

    def forward(self, x, key_bias):
        B, T, C = x.shape
        hs = C // self.heads
        q, k, v = self.qkv(x).split(C, dim=-1)  # each [B, T, C]: columns [0, C), [C, 2C), [2C, 3C)
        q, k, v = (t.reshape(B, T, self.heads, hs).transpose(1, 2) for t in (q, k, v))  # [B, nh, T, hs]
        att = torch.softmax(q @ k.transpose(-1, -2) * (1 / math.sqrt(hs)) + key_bias, dim=-1)  # [B, nh, T, T]
        return self.out((att @ v).transpose(1, 2).reshape(B, T, C))


class Mlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc = Dense(c, 4 * c)
        self.proj = Dense(4 * c, c)

    def forward(self, x):
        return self.proj(torch.relu(self.fc(x)))


class Block(nn.Module):
    """Pre-LayerNorm transformer block (nanoGPT's, without the causal mask)."""

    def __init__(self, c, heads):
        super().__init__()
        self.ln1, self.attn, self.ln2, self.mlp = LayerNorm(c), Attention(c, heads), LayerNorm(c), Mlp(c)

    def forward(self, x, key_bias):
        x = x + self.attn(self.ln1(x), key_bias)
        return x + self.mlp(self.ln2(x))


class ImageEncoder(nn.Module):
    """pixels [B, S, S, 3] in 0..1 -> CLIP normalisation -> conv3x3/2 + ReLU stack -> GAP -> [fc + ReLU]  (-> proj.image outside)"""

    def __init__(self, config):
        super().__init__()
        cin = 3
        for i, cout in enumerate(config['convChannels']):
            self.add_module(f'conv{i}', Conv3x3s2(cin, cout))
            cin = cout
        self.n_conv = len(config['convChannels'])
        if config['imageWidth'] > 0:
            self.fc = Dense(cin, config['imageWidth'])
        self.register_buffer('mean', torch.tensor(IMAGE_MEAN), persistent=False)
        self.register_buffer('inv_std', torch.tensor([1 / s for s in IMAGE_STD]), persistent=False)

    def forward(self, images):
        x = ((images - self.mean) * self.inv_std).permute(0, 3, 1, 2)  # [B, 3, S, S]
        for i in range(self.n_conv):
            x = torch.relu(getattr(self, f'conv{i}')(x))  # [B, C_i, S/2^(i+1), ..]
        h = x.mean(dim=(2, 3))  # [B, C_last] global average pool
        return torch.relu(self.fc(h)) if hasattr(self, 'fc') else h


def masked_mean(x, mask):
    """x [B, T, C], mask [B, T] -> [B, C]; 0 for an all-PAD row."""
    return (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)


class TextEncoder(nn.Module):
    """token ids [B, T] (PAD = 0) -> embedding -> bow | conv | transformer -> masked mean  (-> proj.text outside)"""

    def __init__(self, config, vocab_size):
        super().__init__()
        C = config['textWidth']
        self.kind = config['textEncoder']
        self.embedding = glorot_(nn.Parameter(torch.empty(vocab_size, C)), vocab_size, C)
        self.n_layers = config['textLayers']
        if self.kind == 'conv':
            for i in range(self.n_layers):
                self.add_module(f'conv{i}', Conv1d3(C))
        elif self.kind == 'transformer':
            self.pos_embedding = nn.Parameter(torch.empty(config['maxTokens'], C).uniform_(-0.02, 0.02))
            for i in range(self.n_layers):
                self.add_module(f'block{i}', Block(C, config['textHeads']))
            self.ln_final = LayerNorm(C)

    def forward(self, tokens):
        mask = (tokens > 0).to(self.embedding.dtype)  # [B, T] 1 = word
        h = F.embedding(tokens, self.embedding) * mask[..., None]  # [B, T, C], PAD rows 0
        if self.kind == 'conv':
            for i in range(self.n_layers):
                # PAD positions stay 0, so a caption reads the same whatever padding follows it.
                h = h + torch.relu(getattr(self, f'conv{i}')(h)) * mask[..., None]
        elif self.kind == 'transformer':
            key_bias = ((mask - 1) * 1e9)[:, None, None, :]  # [B, 1, 1, T]: 0 for words, -1e9 for PAD keys
            x = h + self.pos_embedding  # positions added at PAD too
            for i in range(self.n_layers):
                x = getattr(self, f'block{i}')(x, key_bias)
            h = self.ln_final(x)
        return masked_mean(h, mask)  # [B, C]


def l2_normalize(x):
    """Rows scaled to unit norm; eps 1e-12 added under the root (a zero row stays 0)."""
    return x * torch.rsqrt((x * x).sum(-1, keepdim=True) + 1e-12)


class ClipLab(nn.Module):
    """CLIP Lab's model: encode_image / encode_text into one L2-normalised space, logit_scale in log
    space (clamped at ln 100 after each step), and the optional match classifier (P(match)).
    state_dict() names and shapes are exactly the lab file's weights."""

    def __init__(self, config, vocab, preprocessing=None, metadata=None):
        super().__init__()
        self.config = dict(config)
        self.vocab = list(vocab)
        self.preprocessing = preprocessing
        self.metadata = dict(metadata or {})
        D = config['embedDim']
        self.image = ImageEncoder(config)
        self.text = TextEncoder(config, len(vocab))
        self.proj = nn.Module()
        width = config['imageWidth'] or config['convChannels'][-1]
        self.proj.image = Dense(width, D)
        self.proj.text = Dense(config['textWidth'], D)
        self.logit_scale = nn.Parameter(torch.tensor(LOGIT_SCALE_INIT))
        if config['matchHidden'] > 0:
            self.match = nn.Module()
            self.match.fc0 = Dense(4 * D + (1 if config['matchHead'] == 'cosine-feature' else 0), config['matchHidden'])
            self.match.fc1 = Dense(config['matchHidden'], 1)

    @property
    def has_match_head(self):
        return self.config['matchHidden'] > 0

    def encode_image(self, images):
        """images [B, S, S, 3] float in 0..1 (NHWC, as the lab) -> [B, D] unit rows"""
        S = self.config['imageSize']
        if images.dim() != 4 or tuple(images.shape[1:]) != (S, S, 3):
            raise ValueError(f'encode_image: expected images [B, {S}, {S}, 3], found {list(images.shape)}')
        return l2_normalize(self.proj.image(self.image(images)))

    def encode_text(self, tokens):
        """tokens [B, T] int64 ids (PAD = 0) -> [B, D] unit rows"""
        T = self.config['maxTokens']
        if tokens.dim() != 2 or tokens.shape[1] != T:
            raise ValueError(f'encode_text: expected tokens [B, {T}], found {list(tokens.shape)}')
        return l2_normalize(self.proj.text(self.text(tokens.long())))

    def logits(self, img, txt):
        """img [B, D], txt [N, D] -> logits_per_image [B, N] = exp(logit_scale) img @ txt^T, and its transpose"""
        logits_per_image = self.logit_scale.exp() * img @ txt.t()
        return logits_per_image, logits_per_image.t()

    def match_logits(self, u, v):
        """u [N, D] image, v [N, D] text embeddings -> [N]: MLP over [u, v, u*v, |u-v|] (src/model/matchHead.ts);
        config.matchHead 'cosine-feature' adds s*cos as an input, 'residual' adds it to the logit (s = exp(logit_scale),
        no gradient); config.matchDetach: no gradient into the encoders."""
        if not self.has_match_head:
            raise ValueError('match_logits: this model has no match classifier (config.matchHidden = 0)')
        if self.config['matchDetach']:
            u, v = u.detach(), v.detach()
        kind = self.config['matchHead']
        features = [u, v, u * v, (u - v).abs()]
        scaled_cos = self.logit_scale.detach().exp() * (u * v).sum(1, keepdim=True)  # [N, 1]
        if kind == 'cosine-feature':
            features.append(scaled_cos)
        logit = self.match.fc1(torch.relu(self.match.fc0(torch.cat(features, dim=1))))  # [N, 1] from [N, 4D (+1)]
        if kind == 'residual':
            logit = logit + scaled_cos
        return logit.reshape(-1)

    def match_probability(self, u, v):
        return torch.sigmoid(self.match_logits(u, v))

    def clamp_logit_scale(self):
        with torch.no_grad():
            self.logit_scale.clamp_(max=LOGIT_SCALE_MAX)
