"""The lab's seeded randomness (src/data/random.ts), bit for bit: mulberry32, FNV-1a over UTF-16
code units, Fisher-Yates; so splits, batch order and negatives follow the page's choices."""
import math


def mulberry32(seed):
    """A function returning floats in [0, 1) from a 32-bit seed (the lab's mulberry32)."""
    a = seed & 0xFFFFFFFF

    def imul(x, y):
        return (x * y) & 0xFFFFFFFF

    def random():
        nonlocal a
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = a
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296
    return random


def hash_string(text):
    """FNV-1a over the UTF-16 code units of `text` (JS charCodeAt)."""
    h = 0x811C9DC5
    units = text.encode('utf-16-le')
    for k in range(0, len(units), 2):
        h ^= units[k] | (units[k + 1] << 8)
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def shuffle_in_place(items, random):
    for i in range(len(items) - 1, 0, -1):
        j = math.floor(random() * (i + 1))
        items[i], items[j] = items[j], items[i]
    return items


def js_round(x):
    """Math.round: halves round up."""
    return math.floor(x + 0.5)
