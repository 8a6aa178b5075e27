"""The lab's training rules in PyTorch (src/data/batches.ts, src/train/{step,schedule,optimizer,
evaluate}.ts, src/model/{losses,negatives,augment}.ts): seeded init, batch plans with no two
captions of one image, warm-up + cosine LR, AdamW with decay on matrices only, symmetric InfoNCE
plus the match loss on hard and random negatives, and the val evaluation (R@K, AUC)."""
import math

import numpy as np
import torch
import torch.nn.functional as F

from .metrics import balanced_accuracy, image_text_retrieval, roc_auc
from .model import ClipLab
from .random import hash_string, mulberry32, shuffle_in_place


def lab_init_(model: ClipLab, seed):
    """The lab's initial weights, bit for bit (params.ts initialValues: mulberry32 per (seed, name))."""
    with torch.no_grad():
        for name, p in model.state_dict(keep_vars=True).items():
            leaf = name.rsplit('.', 1)[-1]
            if name == 'logit_scale' or leaf in ('bias', 'beta'):
                p.copy_(torch.full_like(p, math.log(1 / 0.07) if name == 'logit_scale' else 0.0))
                continue
            if leaf == 'gamma':
                p.fill_(1.0)
                continue
            shape = list(p.shape)
            if name == 'text.pos_embedding':
                limit = 0.02
            elif len(shape) == 4:  # image conv HWIO
                limit = math.sqrt(6 / (9 * shape[2] + 9 * shape[3]))
            elif len(shape) == 3:  # text conv [3, C, C]
                limit = math.sqrt(6 / (3 * shape[1] + 3 * shape[2]))
            else:
                limit = math.sqrt(6 / (shape[0] + shape[1]))
            random = mulberry32(hash_string(f'{seed}:{name}'))
            values = np.array([random() for _ in range(p.numel())], dtype=np.float64)
            p.copy_(torch.from_numpy(((2 * values - 1) * limit).astype(np.float32)).reshape(shape))


def plan_epoch(caption_image, caption_ids, batch_size, seed, epoch):
    """One epoch's batches of caption ids (the lab's planEpoch): seeded shuffle; a caption whose image
    is already in the batch is deferred to the next; only full batches."""
    order = shuffle_in_place(list(caption_ids), mulberry32(hash_string(f'epoch:{seed}:{epoch}')))
    batches, deferred, nxt = [], [], 0
    while nxt < len(order) or deferred:
        batch, images = [], set()

        def take(i):
            if len(batch) >= batch_size or caption_image[i] in images:
                return False
            batch.append(i)
            images.add(caption_image[i])
            return True
        deferred = [i for i in deferred if not take(i)]
        while len(batch) < batch_size and nxt < len(order):
            i = order[nxt]
            nxt += 1
            if not take(i):
                deferred.append(i)
        if len(batch) < batch_size:
            break
        batches.append(batch)
    return batches


def learning_rate_at(step, config, total_steps):
    lr, warm = config['learningRate'], config['warmupSteps']
    if step < warm:
        return lr * (step + 1) / warm
    if config['lrSchedule'] == 'constant':
        return lr
    progress = min(1, (step - warm) / max(1, total_steps - warm))
    return 0.5 * lr * (1 + math.cos(math.pi * progress))


def adamw(model, config):
    """torch AdamW = the lab's (decoupled decay, bias-corrected, eps outside the root): decay on rank >= 2 only."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{'params': decay, 'weight_decay': config['weightDecay']}, {'params': rest, 'weight_decay': 0.0}],
                             lr=config['learningRate'], betas=(0.9, 0.999), eps=config['adamEpsilon'])


def optimizer_state(model, optimizer):
    """torch AdamW state -> the file's {'m/<w>', 'v/<w>', 'step'} (zeros before the first step)."""
    out, step = {}, 0
    for name, p in model.state_dict(keep_vars=True).items():
        s = optimizer.state.get(p, {})
        out[f'm/{name}'] = s['exp_avg'].detach().cpu().numpy() if s else np.zeros(tuple(p.shape), np.float32)
        out[f'v/{name}'] = s['exp_avg_sq'].detach().cpu().numpy() if s else np.zeros(tuple(p.shape), np.float32)
        step = max(step, int(s['step']) if s else 0)
    out['step'] = step
    return out


def load_optimizer_state(model, optimizer, state):
    """The file's moments -> torch AdamW state (every parameter updated `step` times)."""
    for name, p in model.state_dict(keep_vars=True).items():
        optimizer.state[p] = {'step': torch.tensor(float(state['step'])),
                              'exp_avg': torch.as_tensor(np.array(state[f'm/{name}']), device=p.device).clone(),
                              'exp_avg_sq': torch.as_tensor(np.array(state[f'v/{name}']), device=p.device).clone()}


def step_random(seed, step):
    return mulberry32(hash_string(f'step:{seed}:{step}'))


def random_negative_selection(B, random, excluded=None):
    """[B, B]: row i picks one caption j != i uniformly (the lab's randomNegativeSelection); with excluded
    [B, B] (1: not a negative) only allowed j, drawing even for a row with none left (it stays zeros)."""
    sel = np.zeros((B, B), np.float32)
    for i in range(B):
        if excluded is None:
            sel[i, (i + 1 + math.floor(random() * (B - 1))) % B] = 1
            continue
        allowed = [j for j in range(B) if j != i and excluded[i, j] == 0]
        r = random()
        if allowed:
            sel[i, allowed[math.floor(r * len(allowed))]] = 1
    return torch.from_numpy(sel)


SIDE_WORDS = {'left', 'right', 'leftmost', 'rightmost', 'lefthand', 'righthand'}


def has_side_words(text):
    """A caption that names a side: a horizontal flip would make it false (never flipped)."""
    from .tokenizer import tokenize
    return any(w in SIDE_WORDS for w in tokenize(text))


def not_negative_mask(tokens, groups, image_groups):
    """The lab's notNegativeMask: [B, B] 1 where caption j is no negative for image i: j = i, equal token
    rows, the same text group, or the text of one of image i's captions. tokens [B, T] numpy."""
    B = len(tokens)
    rows = [tuple(r) for r in np.asarray(tokens).tolist()]
    return np.array([[float(i == j or rows[i] == rows[j] or groups[i] == groups[j] or groups[j] in image_groups[i])
                      for j in range(B)] for i in range(B)], np.float32)


def valid_negative_rows(excluded):
    """[B]: 1 where image i has a caption j != i that is a negative."""
    B = len(excluded)
    return np.array([float(any(j != i and excluded[i, j] == 0 for j in range(B))) for i in range(B)], np.float32)


def augment(images, random, no_flip=None):
    """images [B, S, S, 3] -> reflection-pad crop, flip (never where no_flip[b]), brightness/contrast jitter;
    the lab's draws in its order."""
    B, S = images.shape[0], images.shape[1]
    pad = max(1, math.floor(S / 8 + 0.5))
    padded = F.pad(images.permute(0, 3, 1, 2), (pad, pad, pad, pad), mode='reflect').permute(0, 2, 3, 1)
    out = []
    for b in range(B):
        y, x = math.floor(random() * (2 * pad + 1)), math.floor(random() * (2 * pad + 1))
        flip = random() < 0.5 and not (no_flip is not None and no_flip[b])
        bright = np.float32((random() * 2 - 1) * 0.1)
        contrast = np.float32(1 + (random() * 2 - 1) * 0.2)
        src = padded[b].flip(1) if flip else padded[b]
        crop = src[y:y + S, x:x + S]
        mean = crop.mean()
        out.append(((crop - mean) * float(contrast) + mean + float(bright)).clamp(0, 1))
    return torch.stack(out)


def clip_loss(logits, not_negative=None):
    """Symmetric cross-entropy of logits_per_image [B, B] against the diagonal; not_negative [B, B] (1 where
    caption j is image i's own in spirit, e.g. the same text) drops those off-diagonal entries from both softmaxes."""
    target = torch.arange(logits.shape[0], device=logits.device)
    if not_negative is not None:
        logits = logits - torch.relu(not_negative - torch.eye(len(logits), device=logits.device)) * 1e9
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2


def match_loss(logits, labels, weights=None):
    """Mean BCE of logits against labels; with weights the weighted mean (the lab's matchLoss)."""
    bce = F.binary_cross_entropy_with_logits(logits, labels, reduction='none')
    return bce.mean() if weights is None else (bce * weights).sum() / weights.sum().clamp(min=1e-12)


def hard_negative_selection(sim, excluded=None):
    """[B, B] one-hot (ties shared) of each row's most similar caption j != i (and not excluded); no gradient."""
    with torch.no_grad():
        masked = sim - (torch.eye(sim.shape[0], device=sim.device) if excluded is None else excluded) * 1e9
        hits = (masked - masked.max(1, keepdim=True).values + 1e-12 > 0).float()
        return hits / hits.sum(1, keepdim=True)


def objective(model, img, txt, random_sels, not_negative=None, valid_rows=None):
    """img, txt [B, D] unit rows (the whole batch), random_sels: K [B, B] selections (K wrong captions per
    positive; k = 0 is hard for the first ceil(B/2) images), not_negative [B, B] and valid_rows [B] from
    not_negative_mask -> (loss, parts for the step metrics), as the lab's step.ts objective."""
    B = img.shape[0]
    sim = img @ txt.t()  # [B, B] cosines
    scale = model.logit_scale.exp()
    clip = clip_loss(scale * sim, not_negative)
    if not model.has_match_head:
        return clip, {'clip': clip, 'match': None, 'sim': sim, 'scale': scale, 'match_logits': None}
    sels = random_sels if isinstance(random_sels, (list, tuple)) else [random_sels]
    K = len(sels)
    hard = (torch.arange(B, device=img.device) < math.ceil(B / 2)).float()[:, None]  # rows [0, ceil(B/2)) hard, the rest random
    neg = [(hard * hard_negative_selection(sim, not_negative) + (1 - hard) * sel.to(img.device)) if k == 0 else sel.to(img.device)
           for k, sel in enumerate(sels)]
    logits = model.match_logits(torch.cat([img] * (K + 1)), torch.cat([txt] + [sel @ txt for sel in neg]))  # [(1 + K) B]
    labels = torch.cat([torch.ones(B), torch.zeros(K * B)]).to(img.device)
    weights = None if valid_rows is None else torch.cat([torch.ones(B)] + [valid_rows] * K).to(img.device)
    match = match_loss(logits, labels, weights)
    return clip + model.config['matchLossWeight'] * match, {'clip': clip, 'match': match, 'sim': sim, 'scale': scale, 'match_logits': logits}


def step_metrics(loss, parts, step, epoch, lr, ms):
    """The lab's StepMetrics from a step's outputs."""
    sim = parts['sim'].detach().cpu().numpy()
    B = sim.shape[0]
    diag = np.diag(sim)
    off = ~np.eye(B, dtype=bool)
    i2t = float(np.mean([all(sim[i, j] < diag[i] for j in range(B) if j != i) for i in range(B)]))
    t2i = float(np.mean([all(sim[j, i] < diag[i] for j in range(B) if j != i) for i in range(B)]))
    ml = parts['match_logits']
    return {'step': step, 'epoch': epoch, 'loss': float(loss), 'clipLoss': float(parts['clip']),
            'matchLoss': None if parts['match'] is None else float(parts['match']), 'accI2T': i2t, 'accT2I': t2i,
            'matchAcc': None if ml is None else balanced_accuracy(ml.detach().cpu().numpy(), [1] * B + [0] * (len(ml) - B), 0),
            'posSim': float(diag.mean()), 'negSim': float(sim[off].mean()), 'logitScale': float(parts['scale']), 'lr': lr,
            'pairsPerSec': 1000 * B / ms if ms > 0 else 0.0, 'msPerStep': ms}


def eval_subset(splits, caption_image, max_images):
    """First max_images captioned val images (by index) and all their captions."""
    captioned = set(caption_image)
    images = [i for i in range(len(splits)) if splits[i] == 1 and i in captioned][:max_images]
    chosen = set(images)
    return images, [j for j, i in enumerate(caption_image) if i in chosen]


@torch.no_grad()
def evaluate(model, pixels, tokens, caption_image, image_ids, caption_ids, step, epoch, batch_size, seed, groups=None):
    """The lab's EvalMetrics on the val sample: pixels [N, S, S, 3] uint8 at the model's side, tokens [Nc, T],
    groups [Nc] text group of every caption (metrics.caption_text_groups) for R@K."""
    Ni, Nt = len(image_ids), len(caption_ids)
    if Ni < 2 or Nt < 2:
        return None
    dev = next(model.parameters()).device
    img = torch.cat([model.encode_image(torch.from_numpy(pixels[image_ids[i:i + 256]].astype(np.float32) / 255).to(dev))
                     for i in range(0, Ni, 256)])
    txt = torch.cat([model.encode_text(torch.from_numpy(tokens[caption_ids[i:i + 1024]]).to(dev)) for i in range(0, Nt, 1024)])
    sim = (img @ txt.t()).cpu().numpy()  # [Ni, Nt]
    pos = {i: k for k, i in enumerate(image_ids)}
    row = [pos[caption_image[j]] for j in caption_ids]
    i2t, t2i = image_text_retrieval(sim, row, None if groups is None else [groups[j] for j in caption_ids])
    scale = float(model.logit_scale.exp())
    cpos = {j: k for k, j in enumerate(caption_ids)}
    losses = []
    for batch in plan_epoch(caption_image, caption_ids, min(batch_size, Ni), seed, 0):
        logits = np.array([[scale * sim[pos[caption_image[a]], cpos[b]] for b in batch] for a in batch], np.float32)
        same = None if groups is None else torch.tensor([[float(groups[a] == groups[b]) for b in batch] for a in batch])
        losses.append(float(clip_loss(torch.from_numpy(logits), same)))  # same-text captions are not negatives (the lab's sameTextMask)
    match_acc = auc = None
    if model.has_match_head:
        rows, cols, labels = list(row), list(range(Nt)), [1] * Nt
        random = mulberry32(hash_string(f'eval-negatives:{seed}'))
        for i in range(Ni):
            masked = np.where(np.array(row) != i, sim[i], -np.inf)
            hard = int(np.argmax(masked))  # first index of the max, as the lab's strict '>' scan
            other = math.floor(random() * Nt)
            while row[other] == i:
                other = (other + 1) % Nt
            rows += [i, i]
            cols += [hard, other]
            labels += [0, 0]
        prob = model.match_probability(img[rows], txt[cols]).cpu().numpy()
        match_acc, auc = balanced_accuracy(prob, labels, 0.5), roc_auc(prob, labels)
    return {'step': step, 'epoch': epoch, 'valLoss': float(np.mean(losses)) if losses else float('nan'), 'i2t': i2t, 't2i': t2i,
            'matchAcc': match_acc, 'auc': auc, 'images': Ni, 'captions': Nt}
