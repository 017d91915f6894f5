"""keyword_tokens: a tiny synthetic text-classification set of integer token ids (for Embedding).

2,000 sentences of 12 token ids from a vocabulary of 16: ids 4..15 are filler words drawn at
random, ids 0..3 are keywords. Each sentence has its class's keyword 3 times and one other
keyword once, at random places; the class is the keyword that occurs most. A bag of words
solves it, so a small transformer (Embedding, Positional Embedding, an encoder layer, a mean
over the tokens, a Linear head) reaches over 95 % in a few epochs. Fixed sizes and the run's
seed make it the same for the same seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.data.info import DatasetInfo, RawDataset
from engine.registry.spec import TensorSpec, labels

VOCABULARY = 16
LENGTH = 12
CLASSES = 4  # keywords 0..3
SAMPLES = 2000
SEED_STREAM = 30  # apart from the other generators' streams

INFO = DatasetInfo(
    TensorSpec((LENGTH,), "long", True, VOCABULARY),
    labels(CLASSES),
    "classification",
    tuple(f"keyword {i}" for i in range(CLASSES)),
    SAMPLES,
)


def describe_tokens(params: dict[str, Any]) -> DatasetInfo:
    return INFO


def read_tokens(params: dict[str, Any], seed: int) -> RawDataset:
    rng = np.random.default_rng([seed, SEED_STREAM])
    x = rng.integers(CLASSES, VOCABULARY, size=(SAMPLES, LENGTH))
    y = rng.integers(0, CLASSES, size=SAMPLES)
    other = (y + rng.integers(1, CLASSES, size=SAMPLES)) % CLASSES
    for i in range(SAMPLES):
        places = rng.choice(LENGTH, size=4, replace=False)
        x[i, places[:3]] = y[i]
        x[i, places[3]] = other[i]
    return RawDataset(x.astype(np.int64), y.astype(np.int64), INFO)
