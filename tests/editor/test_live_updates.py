"""What the window does while a run streams in: refreshes coalesced to frames, a card that does not
re-lay the plots every epoch, a progress bar that never forces a repaint of the whole window, and a
note when a busy machine makes the updates coarser. Driven by a session without a process."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from test_state import FakeSession, epoch_row, progress, started

from editor.files import EXAMPLES_DIR
from editor.training.controller import set_progress_later
from editor.training.doctor_card import DoctorCard
from engine.training.doctor import Diagnosis, Finding


@pytest.fixture
def live(make_window):
    session = FakeSession()
    window = make_window(training_session=session)
    assert window.files.load_path(EXAMPLES_DIR / "mlp_digits.json", remember=False)
    training = window.training
    assert training.start()
    session.send("started", started(epochs=40))
    session._set_state("running")
    return window, session


def test_the_doctor_reads_a_flood_of_epochs_a_few_times_and_the_whole_run_at_the_end(live, monkeypatch):
    window, session = live
    training = window.training
    readings: list[int] = []
    diagnose = training._diagnose
    monkeypatch.setattr(training, "_diagnose", lambda *a: readings.append(len(training.history)) or diagnose(*a))
    for epoch in range(1, 41):  # 40 epochs arriving within one frame, as a fast model sends them
        session.send("progress", progress(epoch, 40))
        session.send("epoch", epoch_row(epoch))
        training._apply_pending()
    assert len(readings) <= 2  # at most every DOCTOR_S, not once an epoch
    training._apply_pending(final=True)
    session._set_state("idle")
    session.finish(str(training.run_dir), status="completed")
    assert readings[-1] == 40 and training.dashboard.doctor.diagnosis.epochs == 40


def test_the_doctor_card_does_not_shrink_while_a_run_trains(qtbot):
    card = DoctorCard()
    qtbot.addWidget(card)
    card.resize(420, 40)
    card.show()
    qtbot.waitExposed(card)
    long = Diagnosis(
        [Finding("overfitting", "problem", "Overfitting", "validation loss rose for 5 epochs " * 4, "early stopping")],
        epochs=9,
    )
    card.hold_height(True)
    card.show_diagnosis(long)
    tall = card.minimumHeight()
    assert tall >= card.height_for_text() > 40
    card.show_diagnosis(Diagnosis(epochs=10))  # one line now: the card keeps its height
    assert card.minimumHeight() == tall
    card.hold_height(False)
    assert card.minimumHeight() == 0


class PaintCounter(QtCore.QObject):
    def __init__(self):
        super().__init__()
        self.paints = 0

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QtCore.QEvent.Type.Paint:
            self.paints += 1
        return False


def test_the_progress_bar_paints_with_the_next_frame_not_at_once(qtbot):
    holder = QtWidgets.QWidget()  # as in the status bar: a child widget of a shown window
    qtbot.addWidget(holder)
    bar = QtWidgets.QProgressBar(holder)
    bar.setRange(0, 1000)
    holder.show()
    qtbot.waitExposed(holder)
    QtWidgets.QApplication.processEvents()
    counter = PaintCounter()
    bar.installEventFilter(counter)
    bar.setValue(500)  # QProgressBar's own setter paints synchronously (and with it, the window's pending updates)
    assert counter.paints == 1
    set_progress_later(bar, 700)
    assert bar.value() == 700 and counter.paints == 1
    qtbot.waitUntil(lambda: counter.paints == 2)


def test_a_starved_child_or_a_busy_machine_backs_off_with_a_note_that_a_finished_run_clears(live):
    window, session = live
    training = window.training
    plots = training.dashboard.plots
    for epoch, rate in enumerate([1000.0] * 8, start=1):
        session.send("progress", {**progress(epoch, 40), "samples_per_s": rate})
        training._apply_pending()
    assert not plots.pacer.starved and training.dashboard.pace_note.text() == ""
    for epoch in range(9, 13):  # the child slowed far below its best: the plots give way
        session.send("progress", {**progress(epoch, 40), "samples_per_s": 300.0})
        training._apply_pending()
    assert plots.pacer.starved
    plots.pacer.interval_ms = plots.pacer.max_ms  # the repaints backed off all the way
    session.send("progress", progress(13, 40))
    training._apply_pending()
    assert "Busy machine" in training.dashboard.pace_text
    assert training.dashboard.pace_note.text().startswith("Busy")  # shown, elided to the header's free space
    training._apply_pending(final=True)
    session._set_state("idle")
    session.finish(str(training.run_dir), status="completed")
    assert training.dashboard.pace_note.text() == ""


def test_collections_skip_the_objects_that_existed_before_the_run_until_it_ends(live):
    import gc

    window, session = live  # the run has started
    assert gc.get_freeze_count() > 100_000  # the window, pyqtgraph, the engine: not scanned during the run
    training = window.training
    session._set_state("idle")
    session.finish(str(training.run_dir), status="completed")
    assert gc.get_freeze_count() == 0  # all collectable again once it has ended


def test_the_first_readings_wait_and_the_header_holds_its_height_until_the_run_ends(live, monkeypatch):
    """A half-second run: the doctor's card growing, the badges repainting the canvas and the header
    re-wrapping its title each re-laid or repainted the window while the child trained."""
    window, session = live
    training = window.training
    title = training.dashboard.title
    held = title.minimumHeight()
    assert held == title.height() > 0  # held since Train was pressed
    card = training.dashboard.doctor
    assert card.holding and card.minimumHeight() == card.height()  # so is the doctor's card
    readings, badges = [], []
    monkeypatch.setattr(training, "_diagnose", lambda *a: readings.append(len(training.history)))
    monkeypatch.setattr(window.canvas, "show_health", lambda shown: badges.append(shown))
    for epoch in range(1, 4):  # the first epochs, well within DOCTOR_S and BADGE_S of the start
        session.send("progress", progress(epoch, 40))
        session.send("epoch", epoch_row(epoch))
        training._apply_pending()
    assert readings == [] and badges == []
    training._apply_pending(final=True)  # the run's end shows both, read from every epoch
    assert readings == [3] and len(badges) == 1
    session._set_state("idle")
    session.finish(str(training.run_dir), status="completed")
    assert title.minimumHeight() == 0 and card.minimumHeight() == 0  # a finished run's take their natural height
