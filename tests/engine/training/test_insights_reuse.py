"""Insights' confusion matrix comes from the predictions the epoch's validation already made."""

from __future__ import annotations

from engine.training.insights import Insights
from engine.training.trainer import Trainer

from .conftest import tiny_mlp


class Counting(Insights):
    """Counts the validation samples Insights runs through the model itself."""

    def __init__(self, send, reuse: bool):
        super().__init__(send)
        self.allow_reuse, self.ran = reuse, 0

    def on_train_start(self, trainer):
        super().on_train_start(trainer)
        self.reuse = self.reuse and self.allow_reuse

    def _run(self, start, stop):
        self.ran += stop - start
        return super()._run(start, stop)


def test_the_confusion_matrix_reuses_validation_and_is_the_same(digits):
    reused, computed = [], []
    fast, slow = Counting(reused.append, reuse=True), Counting(computed.append, reuse=False)
    Trainer(tiny_mlp(epochs=2), data=digits, callbacks=[fast]).fit()
    Trainer(tiny_mlp(epochs=2), data=digits, callbacks=[slow]).fit()
    assert [m["confusion"] for m in reused] == [m["confusion"] for m in computed]
    assert fast.ran == 2 * 16  # only the 16 sample images each epoch
    assert slow.ran == 2 * (16 + len(digits.val_x))
