"""The first_token dataset (engine/data/recall.py): the target is the first token, later tokens are
distractors from the same vocabulary, a start flag marks step 0, and a seed gives the same data."""

from __future__ import annotations

import numpy as np
import pytest

from engine.data.describe import describe, source_of, with_defaults
from engine.data.info import DataError
from engine.data.recall import RECALL_TOKENS

PARAMS = {"dataset": "first_token", "num_samples": 300, "sequence_length": 50}


def read(seed: int = 0, **params):
    merged = with_defaults({**PARAMS, **params})
    return source_of(merged).read(merged, seed)


def test_describe_gives_one_hot_steps_with_a_flag_and_four_classes():
    info = describe(PARAMS)
    assert info.x.dims == (50, RECALL_TOKENS + 1) and info.y.num_classes == RECALL_TOKENS
    assert info.task == "classification" and info.class_names == ("token 0", "token 1", "token 2", "token 3")


def test_the_target_is_the_first_token_and_the_rest_are_distractors_from_the_same_tokens():
    raw = read()
    tokens = raw.x[:, :, :RECALL_TOKENS]
    assert raw.x.shape == (300, 50, RECALL_TOKENS + 1)
    np.testing.assert_array_equal(tokens.sum(axis=2), 1)  # exactly one token per step
    np.testing.assert_array_equal(tokens[:, 0].argmax(axis=1), raw.y)
    flag = raw.x[:, :, RECALL_TOKENS]
    assert flag[:, 0].all() and not flag[:, 1:].any()
    later = tokens[:, 1:].argmax(axis=2)
    assert set(np.unique(later)) == set(range(RECALL_TOKENS))  # the distractors use every token
    assert np.mean(later[:, -1] == raw.y) < 0.4  # the last token says nothing about the first
    assert set(np.unique(raw.y)) == set(range(RECALL_TOKENS))


def test_a_seed_gives_the_same_sequences():
    np.testing.assert_array_equal(read(3).x, read(3).x)
    assert not np.array_equal(read(3).x, read(4).x)


def test_too_much_data_is_refused_with_the_dataset_named():
    with pytest.raises(DataError, match="first_token"):
        describe({**PARAMS, "num_samples": 1_000_000, "sequence_length": 4096})
