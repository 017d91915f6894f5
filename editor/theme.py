"""Colours, fonts and the application style sheet: one dark, calm theme."""

from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

# Category colours: distinct hues that read on a dark canvas and for colour-blind users
# (blue / violet / amber / teal / rose / green differ in lightness as well as hue).
CATEGORY_COLORS: dict[str, tuple[int, int, int]] = {
    "data": (64, 156, 255),
    "layers": (140, 110, 255),
    "activations": (245, 170, 50),
    "merge": (40, 190, 180),
    "losses": (240, 90, 120),
    "optimizers": (90, 200, 110),
}
UNKNOWN_COLOR = (130, 130, 140)

CATEGORY_LABELS = {
    "data": "Data",
    "layers": "Layers",
    "activations": "Activations",
    "merge": "Merge",
    "losses": "Losses",
    "optimizers": "Optimizers",
}

CANVAS_BG = (24, 26, 31)
CANVAS_GRID = (33, 36, 43)
NODE_BODY = (38, 41, 49)
NODE_BORDER = (62, 66, 78)
NODE_SELECTED = (255, 214, 90)
ERROR = (235, 72, 72)
WARNING = (240, 180, 60)
INFO = (110, 160, 240)
TEXT = (226, 229, 236)
TEXT_DIM = (150, 156, 170)
EDGE = (128, 136, 156)
SHAPE_BG = (30, 33, 40)

SEVERITY_COLORS = {"error": ERROR, "warning": WARNING, "info": INFO}


def category_color(category: str) -> tuple[int, int, int]:
    return CATEGORY_COLORS.get(category, UNKNOWN_COLOR)


def qcolor(rgb: tuple[int, ...], alpha: int = 255) -> QtGui.QColor:
    return QtGui.QColor(rgb[0], rgb[1], rgb[2], alpha)


def hex_color(rgb: tuple[int, ...]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])


STYLE_SHEET = """
QWidget { background: #1d2026; color: #e2e5ec; font-size: 10pt; }
QMainWindow::separator { background: #15171c; width: 3px; height: 3px; }
QMenuBar { background: #17191e; border-bottom: 1px solid #272a32; padding: 2px; }
QMenuBar::item { padding: 4px 10px; background: transparent; border-radius: 4px; }
QMenuBar::item:selected { background: #2c313c; }
QMenu { background: #23262e; border: 1px solid #353945; padding: 4px; }
QMenu::item { padding: 5px 26px 5px 22px; border-radius: 4px; }
QMenu::item:selected { background: #3a4150; }
QMenu::item:disabled { color: #6b7080; }
QMenu::separator { height: 1px; background: #353945; margin: 4px 8px; }
QToolBar { background: #17191e; border: none; border-bottom: 1px solid #272a32; spacing: 2px; padding: 3px 6px; }
QToolBar QToolButton { background: transparent; border-radius: 5px; padding: 4px 9px; color: #cfd3dc; }
QToolBar QToolButton:hover { background: #2c313c; }
QToolBar QToolButton:pressed { background: #3a4150; }
QToolBar QToolButton:disabled { color: #5c6170; }
QToolBar::separator { background: #2f333d; width: 1px; margin: 4px 6px; }
QDockWidget { color: #9aa0ae; font-weight: 600; }
QDockWidget::title { background: #17191e; padding: 6px 10px; text-align: left; border-bottom: 1px solid #272a32; }
QLineEdit, QSpinBox, QDoubleSpinBox, QComboBox, QPlainTextEdit {
    background: #262a33; border: 1px solid #363b47; border-radius: 5px; padding: 4px 6px;
    selection-background-color: #4a6fd1; }
QLineEdit:focus, QSpinBox:focus, QDoubleSpinBox:focus, QComboBox:focus, QPlainTextEdit:focus { border: 1px solid #5b8cff; }
QLineEdit[invalid="true"], QSpinBox[invalid="true"], QDoubleSpinBox[invalid="true"] { border: 1px solid #eb4848; }
QSpinBox::up-button, QSpinBox::down-button, QDoubleSpinBox::up-button, QDoubleSpinBox::down-button { width: 0px; border: none; }
QComboBox::drop-down { border: none; width: 18px; }
QComboBox QAbstractItemView { background: #262a33; border: 1px solid #363b47; selection-background-color: #3a4150; }
QCheckBox { spacing: 8px; background: transparent; }
QCheckBox::indicator { width: 15px; height: 15px; border-radius: 4px; border: 1px solid #4a5060; background: #262a33; }
QCheckBox::indicator:checked { background: #5b8cff; border: 1px solid #5b8cff; }
QPushButton { background: #2c313c; border: 1px solid #3a404d; border-radius: 5px; padding: 5px 12px; }
QPushButton:hover { background: #353b48; }
QPushButton:pressed { background: #3f4656; }
QPushButton#quickFix { background: #24406e; border: 1px solid #3563ad; color: #dbe6ff; padding: 3px 10px; }
QPushButton#quickFix:hover { background: #2d4f88; }
QTreeWidget, QListWidget, QTextBrowser, QTableWidget {
    background: #1d2026; border: none; outline: none; }
QTreeWidget::item, QListWidget::item { padding: 3px 2px; border-radius: 4px; }
QTreeWidget::item:hover, QListWidget::item:hover { background: #262a33; }
QTreeWidget::item:selected, QListWidget::item:selected { background: #2f3747; color: #ffffff; }
QHeaderView::section { background: #1d2026; color: #8a90a0; border: none; border-bottom: 1px solid #2c303a;
    padding: 4px 6px; font-weight: 600; }
QScrollBar:vertical { background: transparent; width: 10px; margin: 0; }
QScrollBar::handle:vertical { background: #3a3f4b; border-radius: 4px; min-height: 24px; }
QScrollBar:horizontal { background: transparent; height: 10px; margin: 0; }
QScrollBar::handle:horizontal { background: #3a3f4b; border-radius: 4px; min-width: 24px; }
QScrollBar::add-line, QScrollBar::sub-line { width: 0; height: 0; }
QScrollBar::add-page, QScrollBar::sub-page { background: none; }
QStatusBar { background: #17191e; color: #9aa0ae; border-top: 1px solid #272a32; }
QStatusBar::item { border: none; }
QTabWidget::pane { border: none; }
QTabBar::tab { background: #17191e; color: #8a90a0; padding: 6px 14px; border: none; border-bottom: 2px solid transparent; }
QTabBar::tab:selected { color: #e2e5ec; border-bottom: 2px solid #5b8cff; }
QTabBar::tab:hover { color: #e2e5ec; }
QToolTip { background: #2a2e38; color: #e2e5ec; border: 1px solid #444a58; padding: 5px; }
QLabel#sectionTitle { color: #8a90a0; font-weight: 600; font-size: 9pt; background: transparent; }
QLabel#formError { color: #ff8080; background: #3a2226; border-radius: 5px; padding: 6px 8px; }
QLabel#muted { color: #8a90a0; background: transparent; }
QLabel#panelTitle { font-size: 12pt; font-weight: 600; background: transparent; }
QLabel#total { color: #e2e5ec; font-weight: 600; background: #17191e; padding: 6px 10px; border-top: 1px solid #272a32; }
QToolBar QToolButton#trainButton { background: #2f5fcf; color: #ffffff; font-weight: 600; padding: 4px 12px; }
QToolBar QToolButton#trainButton:hover { background: #3a6de0; }
QToolBar QToolButton#trainButton:disabled { background: #2a3040; color: #6b7080; }
QLabel#toolbarLabel { color: #8a90a0; background: transparent; padding: 0 4px 0 8px; }
QToolBar QComboBox, QToolBar QSpinBox, QToolBar QDoubleSpinBox { padding: 2px 6px; }
QLabel#runTitle { background: transparent; color: #c9cdd6; }
QLabel#editedChip { color: #f0b43c; background: #3a3222; border-radius: 9px; padding: 2px 9px; font-size: 9pt; }
QPushButton#linkButton { background: transparent; border: none; color: #8fb0ff; padding: 4px 6px; }
QPushButton#linkButton:hover { color: #c0d2ff; text-decoration: underline; }
QProgressBar#trainingProgress { background: #262a33; border: 1px solid #363b47; border-radius: 7px; color: #e2e5ec;
    font-size: 8pt; text-align: center; }
QProgressBar#trainingProgress::chunk { background: #3d6ad6; border-radius: 6px; }
QFrame#quickAdd { background: #23262e; border: 1px solid #454b5a; border-radius: 8px; }
"""


def apply_theme(app: QtWidgets.QApplication) -> None:
    """The Fusion style (identical on every platform), a dark palette and our style sheet."""
    app.setStyle("Fusion")
    palette = QtGui.QPalette()
    roles = QtGui.QPalette.ColorRole
    palette.setColor(roles.Window, QtGui.QColor(29, 32, 38))
    palette.setColor(roles.WindowText, QtGui.QColor(*TEXT))
    palette.setColor(roles.Base, QtGui.QColor(38, 42, 51))
    palette.setColor(roles.AlternateBase, QtGui.QColor(33, 36, 43))
    palette.setColor(roles.Text, QtGui.QColor(*TEXT))
    palette.setColor(roles.Button, QtGui.QColor(44, 49, 60))
    palette.setColor(roles.ButtonText, QtGui.QColor(*TEXT))
    palette.setColor(roles.Highlight, QtGui.QColor(74, 111, 209))
    palette.setColor(roles.HighlightedText, QtGui.QColor(255, 255, 255))
    palette.setColor(roles.ToolTipBase, QtGui.QColor(42, 46, 56))
    palette.setColor(roles.ToolTipText, QtGui.QColor(*TEXT))
    palette.setColor(roles.PlaceholderText, QtGui.QColor(110, 116, 130))
    app.setPalette(palette)
    font = app.font()
    font.setPointSizeF(10)
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET + _check_mark_rule())


def _check_mark_rule() -> str:
    """Style sheets take check marks only as image files: draw one once, in a temp folder."""
    path = Path(tempfile.gettempdir()) / "netwright-check-v1.png"
    if not path.is_file():
        pixmap = QtGui.QPixmap(30, 30)
        pixmap.fill(QtCore.Qt.GlobalColor.transparent)
        painter = QtGui.QPainter(pixmap)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        painter.setPen(
            QtGui.QPen(
                QtGui.QColor(255, 255, 255),
                4.0,
                QtCore.Qt.PenStyle.SolidLine,
                QtCore.Qt.PenCapStyle.RoundCap,
                QtCore.Qt.PenJoinStyle.RoundJoin,
            )
        )
        painter.drawPolyline([QtCore.QPointF(7, 15.5), QtCore.QPointF(12.5, 21), QtCore.QPointF(23, 9)])
        painter.end()
        pixmap.save(str(path))
    return "QCheckBox::indicator:checked { image: url(" + path.as_posix() + "); }"


def category_icon(category: str, size: int = 12) -> QtGui.QIcon:
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(qcolor(category_color(category)))
    painter.drawRoundedRect(QtCore.QRectF(1, 1, size - 2, size - 2), 3, 3)
    painter.end()
    return QtGui.QIcon(pixmap)
