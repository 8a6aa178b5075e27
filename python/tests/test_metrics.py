"""The lab's metric definitions in Python against naive references on seeded inputs, ties included."""
import itertools
import random
import unittest

import numpy as np

from clip_lab.metrics import balanced_accuracy, first_hit_ranks, image_text_retrieval, roc_auc
from clip_lab.training import plan_epoch


def naive_rank(row, targets):
    best = max(row[t] for t in targets)
    return 1 + sum(1 for j, s in enumerate(row) if j not in targets and s >= best)


class MetricsTest(unittest.TestCase):
    def test_first_hit_ranks_count_ties_against_the_query(self):
        cases = [([0.5, 0.5, 0.1], [0], 2), ([0.9, 0.5, 0.1], [0], 1), ([0.1, 0.5, 0.9], [0, 1], 2), ([1, 1, 1, 1], [2], 4)]
        for row, targets, rank in cases:
            self.assertEqual(first_hit_ranks(np.array([row]), [targets])[0], rank)

    def test_ranks_and_recall_equal_a_naive_loop(self):
        rng = np.random.default_rng(5)
        sim = np.round(rng.normal(size=(30, 40)), 1)  # rounding makes ties
        caption_image = [j % 30 for j in range(40)]
        i2t, t2i = image_text_retrieval(sim, caption_image)
        ranks = [naive_rank(sim[i], [j for j in range(40) if caption_image[j] == i]) for i in range(30)]
        self.assertAlmostEqual(i2t['r5'], np.mean([r <= 5 for r in ranks]))
        self.assertAlmostEqual(i2t['medianRank'], float(np.median(ranks)))
        ranks_t = [naive_rank(sim[:, j], [caption_image[j]]) for j in range(40)]
        self.assertAlmostEqual(t2i['r1'], np.mean([r <= 1 for r in ranks_t]))

    def test_roc_auc_equals_pair_counting(self):
        rnd = random.Random(3)
        for _ in range(20):
            scores = [rnd.choice([0.1, 0.2, 0.3, 0.5, 0.9]) for _ in range(15)]
            labels = [rnd.choice([0, 1]) for _ in range(15)]
            pos = [s for s, l in zip(scores, labels) if l == 1]
            neg = [s for s, l in zip(scores, labels) if l == 0]
            if not pos or not neg:
                continue
            want = np.mean([1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg)])
            self.assertAlmostEqual(roc_auc(scores, labels), want)
        self.assertTrue(np.isnan(roc_auc([0.1, 0.2], [1, 1])))

    def test_balanced_accuracy(self):
        self.assertAlmostEqual(balanced_accuracy([0.9, 0.2, 0.8, 0.4], [1, 1, 0, 0], 0.5), 0.5)

    def test_batches_never_hold_two_captions_of_one_image(self):
        caption_image = [i // 5 for i in range(200)]
        for epoch in range(3):
            plan = plan_epoch(caption_image, list(range(200)), 16, 1, epoch)
            self.assertGreaterEqual(len(plan), 11)
            for batch in plan:
                self.assertEqual(len(batch), 16)
                self.assertEqual(len({caption_image[c] for c in batch}), 16)


if __name__ == '__main__':
    unittest.main()
