"""outputs_match: the relative + absolute tolerance (numpy.allclose's rule) both importers check with."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.importers.common import ATOL, RTOL, ModelImportError, checked_match, outputs_match


def test_large_outputs_pass_on_the_relative_figure_small_ones_need_the_absolute():
    # A ResNet-50's outputs reach 442 and two correct runtimes differ by ~1.4e-4 there.
    reference = torch.tensor([442.0, 0.5, 0.0], dtype=torch.float64)
    ok, max_abs, max_rel = outputs_match(reference + torch.tensor([1.4e-4, 0.0, 0.0]), reference)
    assert ok and max_abs == pytest.approx(1.4e-4) and max_rel == pytest.approx(1.4e-4 / 442)
    ok, max_abs, _ = outputs_match(reference + torch.tensor([0.0, 2e-4, 0.0]), reference)
    assert not ok and max_abs == pytest.approx(2e-4)


@pytest.mark.parametrize("seed", range(5))
def test_the_verdict_is_numpys_allclose(seed):
    rng = np.random.default_rng(seed)
    b = rng.normal(scale=10 ** rng.uniform(-3, 3), size=50)
    a = b + rng.normal(scale=10 ** rng.uniform(-6, -2), size=50)
    assert outputs_match(a, b)[0] == np.allclose(a, b, rtol=RTOL, atol=ATOL)


def test_nan_never_matches_and_values_near_zero_do_not_blow_up_the_relative_figure():
    assert not outputs_match(torch.tensor([1.0, float("nan")]), torch.tensor([1.0, 1.0]))[0]
    ok, _, max_rel = outputs_match(torch.tensor([1e-6]), torch.tensor([1e-9]))
    assert ok and max_rel == 0.0  # |b| <= atol: only the absolute figure means anything


def test_a_failed_check_prints_both_figures():
    with pytest.raises(ModelImportError, match=r"max abs diff 0\.01, max rel diff 0\.01; allowed per value"):
        checked_match("Net", "the model", torch.ones(3), torch.ones(3) * 1.01)
