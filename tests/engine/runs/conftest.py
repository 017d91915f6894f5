"""The digits split, loaded once (shared with the training tests)."""

from tests.engine.training.conftest import digits  # noqa: F401
