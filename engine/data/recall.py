"""first_token: recall the first token of a long sequence, the classic test of a recurrent layer's memory.

Every sequence is `sequence_length` steps of tokens from one small vocabulary, each step a
one-hot vector of RECALL_TOKENS values plus a start flag that is 1 at the first step only.
The target is the first token; every later token is a random distractor from the same
vocabulary. A plain RNN adds each step's input into its state through the same weights, so
the distractors, written over the first token step after step, drown it, and its gradient
reaching back to the first step vanishes. An LSTM's input gate can open on the start flag
alone and its forget gate keep the cell, so it can carry the first token to the end.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.data.info import DataError, DatasetInfo, RawDataset
from engine.registry.spec import floats, labels

RECALL_TOKENS = 4
# Refuse sizes that would not fit in memory rather than fail deep inside numpy.
MAX_VALUES = 50_000_000
RECALL_STREAM = 4  # the random stream of this dataset, apart from the synthetic ones (1-3)


def describe_first_token(params: dict[str, Any]) -> DatasetInfo:
    n, steps = params["num_samples"], params["sequence_length"]
    if n * steps * (RECALL_TOKENS + 1) > MAX_VALUES:
        raise DataError(
            f"first_token: {n} sequences of {steps} steps is too much data "
            f"(at most {MAX_VALUES:,} values); lower num_samples or sequence_length"
        )
    names = tuple(f"token {i}" for i in range(RECALL_TOKENS))
    return DatasetInfo(floats(steps, RECALL_TOKENS + 1), labels(RECALL_TOKENS), "classification", names, n)


def read_first_token(params: dict[str, Any], seed: int) -> RawDataset:
    info = describe_first_token(params)
    rng = np.random.default_rng([seed, RECALL_STREAM])
    x, y = first_token_sequences(params["num_samples"], params["sequence_length"], rng)
    identity = {k: params[k] for k in ("num_samples", "sequence_length")}
    return RawDataset(x, y, info, identity=identity)


def first_token_sequences(num: int, steps: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """x [num, steps, RECALL_TOKENS + 1]: one-hot tokens and the start flag; y [num] the first token."""
    tokens = rng.integers(0, RECALL_TOKENS, size=(num, steps))
    x = np.zeros((num, steps, RECALL_TOKENS + 1), np.float32)
    x[np.arange(num)[:, None], np.arange(steps)[None, :], tokens] = 1.0
    x[:, 0, RECALL_TOKENS] = 1.0  # the start flag
    return x, tokens[:, 0].astype(np.int64)
