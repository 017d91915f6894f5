"""The training doctor's card above the live plots: it follows the epochs as they arrive."""

from __future__ import annotations

from editor.training.doctor_card import DoctorCard, card_html
from engine.training.doctor import diagnose


def epochs(train: list[float], val: list[float]) -> list[dict]:
    return [{"epoch": i + 1, "train_loss": t, "val_loss": v} for i, (t, v) in enumerate(zip(train, val, strict=True))]


def test_the_card_waits_then_names_the_pattern_and_the_fix(qtbot):
    card = DoctorCard()
    qtbot.addWidget(card)
    assert "reads the curves after each epoch" in card.label.text()
    card.show_history(epochs([1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02], [0.9, 0.5, 0.4, 0.5, 0.55, 0.6, 0.7]))
    assert card.diagnosis.headline == "Overfitting since epoch 3"
    assert "Try: early stopping" in card.label.text() and "Overfitting since epoch 3" in card.text


def test_a_healthy_run_is_green():
    html = card_html(diagnose(epochs([1.0, 0.6, 0.5], [1.0, 0.7, 0.6])))
    assert "Healthy run (3 epochs)" in html and "#5ac86e" in html


def test_the_window_updates_the_card_with_each_epoch_and_clears_it_for_a_new_run(window):
    training = window.training
    card = training.dashboard.doctor
    rows = epochs([2.3, 2.3, 2.3, 2.3, 2.3, 2.3], [2.3] * 6)
    for row in rows:
        training._on_epoch(row)
    assert card.diagnosis.headline == "Stuck on a plateau since epoch 1"
    training.history = []
    training._diagnose()
    assert not card.diagnosis.findings
