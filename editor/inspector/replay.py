"""The epoch slider with Play: replays a run's recorded epochs, or follows a live run's newest."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

PLAY_MS = 450  # one recorded epoch per step while playing


class EpochSlider(QtWidgets.QWidget):
    """Chooses one of the recorded epochs. `epoch_changed(epoch)` whenever the shown epoch changes,
    by the user, by Play or by following a live run."""

    epoch_changed = QtCore.Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.epochs: list[int] = []
        self.planned: int | None = None
        self.play_button = QtWidgets.QToolButton()
        self.play_button.setObjectName("inspectorPlay")
        self.play_button.setText("▶")
        self.play_button.setToolTip("Play: replay the recorded epochs from the first")
        self.play_button.setCheckable(True)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setObjectName("inspectorEpoch")
        self.slider.setToolTip("The recorded epoch shown (0 is before the first update)")
        self.slider.setPageStep(1)
        self.label = QtWidgets.QLabel()
        self.label.setMinimumWidth(40)  # may clip in a narrow dock rather than widen the window
        self.follow = QtWidgets.QCheckBox("Live")
        self.follow.setToolTip("While training: always show the newest recorded epoch")
        self.follow.setChecked(True)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.play_button)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        layout.addWidget(self.follow)
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(PLAY_MS)
        self.timer.timeout.connect(self._step)
        self.play_button.toggled.connect(self._play)
        self.slider.valueChanged.connect(self._moved)
        self.slider.sliderPressed.connect(lambda: self.follow.setChecked(False))
        self.set_epochs([])

    @property
    def epoch(self) -> int | None:
        return self.epochs[self.slider.value()] if self.epochs else None

    def set_epochs(self, epochs: list[int], live: bool = False, planned: int | None = None) -> None:
        """The recorded epochs; keeps the epoch shown unless following a live run (then the newest).
        `planned`: the epochs the run is to train (a live run's label says how far it has come)."""
        self.planned = planned if live else None
        current = self.epoch
        at_newest = bool(self.epochs) and current == self.epochs[-1]  # stays at the newest as epochs arrive
        self.epochs = list(epochs)
        self.follow.setVisible(live)
        blocker = QtCore.QSignalBlocker(self.slider)
        self.slider.setRange(0, max(0, len(self.epochs) - 1))
        if not self.epochs:
            index = 0
        elif (live and self.follow.isChecked()) or current is None or (at_newest and not self.timer.isActive()):
            index = len(self.epochs) - 1
        else:
            index = min(range(len(self.epochs)), key=lambda k: abs(self.epochs[k] - current))
        self.slider.setValue(index)
        del blocker
        for widget in (self.slider, self.play_button):
            widget.setEnabled(len(self.epochs) > 1)
        self._label()
        if self.epoch != current:
            self.epoch_changed.emit(self.epoch if self.epoch is not None else -1)

    def show_epoch(self, epoch: int) -> None:
        if epoch in self.epochs:
            self.slider.setValue(self.epochs.index(epoch))

    def _label(self) -> None:
        if not self.epochs:
            self.label.setText("no epochs yet")
            return
        last = max(self.epochs[-1], self.planned or 0)
        self.label.setText(f"epoch {self.epoch} of {last}")
        self.label.setToolTip(
            f"recorded so far: {len(self.epochs)} epochs (the run records more as it trains)"
            if self.planned
            else f"{len(self.epochs)} recorded epochs"
        )

    def _moved(self, _index: int) -> None:
        self._label()
        self.epoch_changed.emit(self.epoch)

    def _play(self, on: bool) -> None:
        if on:
            self.follow.setChecked(False)
            if self.slider.value() >= self.slider.maximum():
                self.slider.setValue(0)
            self.play_button.setText("❚❚")
            self.play_button.setToolTip("Pause the replay")
            self.timer.start()
        else:
            self.timer.stop()
            self.play_button.setText("▶")
            self.play_button.setToolTip("Play: replay the recorded epochs from the first")

    def _step(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.play_button.setChecked(False)
            return
        self.slider.setValue(self.slider.value() + 1)
