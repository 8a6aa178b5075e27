"""The lab's evaluation metrics (src/model/metrics.ts) over numpy arrays: retrieval R@K and median
rank with ties counted against the query, ROC AUC with average ranks, balanced accuracy."""
import numpy as np


def first_hit_ranks(sim, query_targets):
    """sim [Q, N]; query_targets[q] lists the relevant columns of row q -> 1-based rank of the best
    relevant one: 1 + the number of irrelevant targets scoring at least as high (pessimistic ties)."""
    sim = np.asarray(sim)
    ranks = np.zeros(len(query_targets), dtype=np.int64)
    for q, targets in enumerate(query_targets):
        if len(targets) == 0:
            raise ValueError(f'first_hit_ranks: query {q} has no relevant target')
        row = sim[q]
        relevant = np.zeros(row.shape[0], dtype=bool)
        relevant[list(targets)] = True
        best = row[relevant].max()
        ranks[q] = 1 + int(((row >= best) & ~relevant).sum())
    return ranks


def retrieval_metrics(sim, query_targets):
    """{'r1', 'r5', 'r10', 'medianRank'} for queries over sim [Q, N] (the lab's RetrievalScores)."""
    ranks = first_hit_ranks(sim, query_targets)
    if len(ranks) == 0:
        return {'r1': float('nan'), 'r5': float('nan'), 'r10': float('nan'), 'medianRank': float('nan')}
    return {'r1': float((ranks <= 1).mean()), 'r5': float((ranks <= 5).mean()), 'r10': float((ranks <= 10).mean()),
            'medianRank': float(np.median(ranks))}


def image_text_retrieval(sim, caption_image, groups=None):
    """sim [Ni, Nt] image x caption, caption_image [Nt] image row of each caption, groups [Nt] text group
    of each caption (equal when the normalised texts are equal; default: all distinct) ->
    (i2t: an image hits with ANY of its captions or a caption of the same text, t2i: a caption hits
    its image or any image with a caption of its text), as src/model/captionText.ts."""
    caption_image = list(caption_image)
    groups = list(range(len(caption_image))) if groups is None else list(groups)
    by_group, images_of_group = {}, {}
    for j, (i, g) in enumerate(zip(caption_image, groups)):
        by_group.setdefault(g, []).append(j)
        images_of_group.setdefault(g, set()).add(i)
    captions_of = [set() for _ in range(sim.shape[0])]
    for j, i in enumerate(caption_image):
        captions_of[i].update(by_group[groups[j]])
    return (retrieval_metrics(sim, [sorted(c) for c in captions_of]),
            retrieval_metrics(np.asarray(sim).T, [sorted(images_of_group[g]) for g in groups]))


def caption_text_groups(texts):
    """A group id per caption, equal exactly when the normalised texts (the tokenizer's words) are equal."""
    from .tokenizer import tokenize
    ids = {}
    return [ids.setdefault(' '.join(tokenize(t)), len(ids)) for t in texts]


def roc_auc(scores, labels):
    """P(random positive outscores random negative), ties half (Mann-Whitney U, average ranks); NaN without both classes."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels)
    order = np.argsort(scores, kind='stable')
    s = scores[order]
    ranks = np.empty(len(s))
    start = 0
    while start < len(s):
        end = start
        while end + 1 < len(s) and s[end + 1] == s[start]:
            end += 1
        ranks[start:end + 1] = (start + end) / 2 + 1
        start = end + 1
    pos = labels[order] == 1
    P, N = int(pos.sum()), int((~pos).sum())
    if P == 0 or N == 0:
        return float('nan')
    return float((ranks[pos].sum() - P * (P + 1) / 2) / (P * N))


def balanced_accuracy(scores, labels, threshold):
    scores, labels = np.asarray(scores), np.asarray(labels)
    pos, neg = labels == 1, labels != 1
    if pos.sum() == 0 or neg.sum() == 0:
        return float('nan')
    return float(((scores[pos] > threshold).mean() + (scores[neg] <= threshold).mean()) / 2)
