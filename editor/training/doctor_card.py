"""The training doctor's card above the live plots: what the curves and badges say, and what to try.

The reading is the engine's (`engine.training.doctor.diagnose`, also printed by `train`); this
card only lays it out: a coloured headline, then one line per finding with its evidence and fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from PySide6 import QtCore, QtWidgets

from engine.training.doctor import Diagnosis, diagnose

PROBLEM = "#f0a050"
HEALTHY = "#5ac86e"
NOTE = "#8a90a0"
WAITING = (
    "it reads the curves after each epoch: overfitting, a learning rate too high, a plateau, vanishing "
    "gradients, dead units"
)


class DoctorCard(QtWidgets.QFrame):
    """One diagnosis at a time; `show_history` re-reads the run (cheap: a few passes over the epoch rows)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("doctorCard")
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.setStyleSheet("#doctorCard { background: #23262e; border: 1px solid #3a3f4b; border-radius: 6px; }")
        self.label = QtWidgets.QLabel()
        self.label.setObjectName("doctorText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.label)
        self.diagnosis = Diagnosis()
        self.holding = False
        self.show_diagnosis(self.diagnosis)

    def hold_height(self, hold: bool) -> None:
        """While a run trains, the card may grow but never shrinks: a finding's evidence changes with
        each reading, and a card that gained and lost a line every epoch re-laid (and repainted) every
        plot below it. After the run it takes its natural height again."""
        self.holding = hold
        self.setMinimumHeight(self.height() if hold and self.isVisible() else 0)

    def show_history(
        self, history: Sequence[dict[str, Any]], diverged: str | None = None, grad_clip: float = 0.0
    ) -> Diagnosis:
        return self.show_diagnosis(diagnose(history, diverged, grad_clip))

    def show_diagnosis(self, diagnosis: Diagnosis) -> Diagnosis:
        self.diagnosis = diagnosis
        self.label.setText(card_html(diagnosis))
        self.setToolTip("\n".join(f.line() for f in diagnosis.findings))
        if self.holding:
            self.setMinimumHeight(max(self.minimumHeight(), self.height_for_text()))
        return diagnosis

    def height_for_text(self) -> int:
        """The height the card needs for its text at its present width (the label wraps)."""
        layout = self.layout()
        if layout.hasHeightForWidth() and self.width() > 0:
            return layout.totalHeightForWidth(self.width())
        return self.sizeHint().height()

    @property
    def text(self) -> str:
        """The card as plain text (for tests and screen readers)."""
        return "\n".join(self.diagnosis.lines())


def card_html(diagnosis: Diagnosis) -> str:
    """The headline only for a healthy run (problems name themselves), then one line per finding."""
    label = "<b style='color:#c8ccd6'>Training doctor</b>"
    if not diagnosis.epochs and not diagnosis.findings:
        return f"{label} <span style='color:{NOTE}'>· {escape(WAITING)}</span>"
    lines = []
    if diagnosis.healthy:
        lines.append(f"{label} · <b style='color:{HEALTHY}'>{escape(diagnosis.headline)}</b>")
    for finding in diagnosis.findings:
        tone = PROBLEM if finding.severity == "problem" else NOTE
        lead = f"{label} · " if not lines else ""
        lines.append(
            f"{lead}<span style='color:{tone}'>●</span> <b style='color:{tone}'>{escape(finding.title)}</b>: "
            f"{escape(finding.evidence)}. <span style='color:#9fc3ff'>Try: {escape(finding.fix)}.</span>"
        )
    return "<br>".join(lines)
