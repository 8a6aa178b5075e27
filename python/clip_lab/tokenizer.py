"""The lab's word-level tokenizer (src/data/tokenizer.ts): lower-cased words of letters and digits
with apostrophes kept inside words — JS /[\\p{L}\\p{N}]+(?:'[\\p{L}\\p{N}]+)*/gu, which in Python's
`re` is [^\\W_]+(?:'[^\\W_]+)* (str.isalnum() characters) — PAD = 0, UNK = 1, fixed length."""
import re
from collections import Counter

import numpy as np

PAD_TOKEN, UNK_TOKEN = '<pad>', '<unk>'
PAD_ID, UNK_ID = 0, 1
WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def tokenize(text):
    """"A dog's ball, 2 kids!" -> ["a", "dog's", "ball", "2", "kids"]"""
    return WORD.findall(text.lower())


def _utf16_key(word):
    # JS compares strings by UTF-16 code units; equal to code points outside the astral planes.
    return word.encode('utf-16-be')


class Tokenizer:
    def __init__(self, vocab):
        self.vocab = list(vocab)
        self.ids = {w: i for i, w in enumerate(self.vocab)}

    @classmethod
    def build(cls, captions, max_vocab, min_count):
        """Most frequent words of the captions first, ties in code-unit order (the lab's rule)."""
        counts = Counter(w for c in captions for w in tokenize(c))
        words = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], _utf16_key(w)))
        return cls([PAD_TOKEN, UNK_TOKEN] + words[:max_vocab - 2])

    @property
    def size(self):
        return len(self.vocab)

    def encode(self, text, max_len):
        """Token ids [max_len] (int64): words truncated, PAD after them, UNK for unknown words."""
        out = np.zeros(max_len, dtype=np.int64)
        for t, word in enumerate(tokenize(text)[:max_len]):
            out[t] = self.ids.get(word, UNK_ID)
        return out

    def encode_batch(self, texts, max_len):
        """[B, max_len] int64 token ids."""
        return np.stack([self.encode(t, max_len) for t in texts]) if texts else np.zeros((0, max_len), np.int64)
