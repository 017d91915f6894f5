"""How one node looks: a rounded card with a category-coloured header, title, id, ports,
a one-line parameter summary, and a red border plus badge when the node has a problem."""

from __future__ import annotations

from html import escape

from NodeGraphQt.qgraphics.node_base import NodeItem
from PySide6 import QtCore, QtGui, QtWidgets

from editor import theme
from editor.canvas.thumbnail import paint_thumbnail, thumbnail_height

HEADER_HEIGHT = 44.0
FOOTER_HEIGHT = 24.0
MIN_WIDTH = 150.0
RADIUS = 8.0
PORT_ROW = 23.0


def _font(point_size: float, bold: bool = False) -> QtGui.QFont:
    font = QtGui.QFont()
    font.setPointSizeF(point_size)
    font.setBold(bold)
    return font


TITLE_FONT = _font(10.5, bold=True)
SUBTITLE_FONT = _font(8.5)
FOOTER_FONT = _font(8.5)
BADGE_FONT = _font(9, bold=True)
HEALTH_FONT = _font(7.5, bold=True)
OVERVIEW_TITLE_FONT = _font(20, bold=True)  # the title alone, readable when zoomed out
OVERVIEW_ZOOM = 0.45  # below this scale a node shows its card and a large title only (level of detail)
FROZEN_COLOR = (120, 190, 255)
FROZEN_OPACITY = 0.55  # a frozen layer's body and text: present, but visibly not learning


def paint_port(painter: QtGui.QPainter, rect: QtCore.QRectF, info: dict) -> None:
    """Ports: a ring in the category colour, filled once something is connected."""
    painter.save()
    color = QtGui.QColor(*info["color"][:3])
    size = 11.0 if info["hovered"] else 9.0
    dot = QtCore.QRectF(0, 0, size, size)
    dot.moveCenter(rect.center())
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QtGui.QPen(color.lighter(130) if info["hovered"] else color, 2.0))
    painter.setBrush(color if info["connected"] or info["hovered"] else QtGui.QColor(*theme.NODE_BODY))
    painter.drawEllipse(dot)
    painter.restore()


class NetwrightNodeItem(NodeItem):
    """The graphics item of every Netwright node; its text comes from the engine node type."""

    MIN_TITLE_POINTS = 3.5  # below this drawn size the overview's title is not drawn (text layout is most of a paint)

    def __init__(self, name: str = "node", parent=None):
        super().__init__(name, parent)
        self.title = name
        self.category = ""
        self.subtitle = ""
        self.footer = ""
        self.accent = theme.UNKNOWN_COLOR
        self.severity: str | None = None  # worst problem on the node: error, warning or info
        self.health: tuple[str, tuple[int, int, int]] | None = None  # training badge: text, colour
        self.frozen = False  # a layer with `trainable` off: dimmed, with a FROZEN tag
        self.notes: list[str] = []  # the canvas's own findings (see set_notes)
        self._analysis_severity: str | None = None
        self._base_tooltip = ""
        self._icon_item.setVisible(False)
        self._overview = False  # drawn as the zoomed-out card: ports and their texts not painted
        self.thumbnail: QtGui.QPixmap | None = None  # a Dataset's samples, under its ports (canvas/thumbnail.py)

    # -- state set by the canvas ----------------------------------------------------------------
    def set_texts(self, title: str, subtitle: str, footer: str) -> None:
        if (title, subtitle, footer) != (self.title, self.subtitle, self.footer):
            self.title, self.subtitle, self.footer = title, subtitle, footer
            self.draw_node()

    def set_problem(self, severity: str | None, tooltip: str) -> None:
        self._analysis_severity = severity
        self._show_severity()
        if tooltip != self._base_tooltip:  # called for every node after every analysis
            self.setToolTip(tooltip)

    def set_notes(self, notes: list[str]) -> None:
        """What the canvas itself found drawing the node (a position or value it could not use as written):
        shown as a warning at least, and at the end of the hover text, whatever the analysis says."""
        if notes != self.notes:
            self.notes = list(notes)
            self._show_severity()
            self.setToolTip(self._base_tooltip)

    def setToolTip(self, text: str) -> None:  # noqa: N802 - Qt's name; the canvas's notes follow its text
        self._base_tooltip = text
        notes = getattr(self, "notes", [])  # NodeItem's constructor sets a tooltip before ours has run
        if notes:
            lines = "".join(f"<br>\u2022 {escape(note)}" for note in notes)
            text = f"{text}<br>" if text else ""
            text += f"<b>Drawn differently from the file:</b>{lines}"
        super().setToolTip(text)

    def _show_severity(self) -> None:
        severity = getattr(self, "_analysis_severity", None)
        if self.notes and severity not in ("error", "warning"):
            severity = "warning"
        if severity != self.severity:
            self.severity = severity
            self.update()

    def set_frozen(self, frozen: bool) -> None:
        if frozen != self.frozen:
            self.frozen = frozen
            self.draw_node()  # the width makes room for the tag

    def set_proxy_mode(self, mode: bool) -> None:
        # NodeGraphQt shows its own name label and icon again when a zoomed-out node comes back
        # to full size; ours draws the title itself, so they would sit over it as ghost text
        super().set_proxy_mode(mode)
        self._text_item.setVisible(False)
        self._icon_item.setVisible(False)

    def set_health(self, health: tuple[str, tuple[int, int, int]] | None) -> None:
        """A small pill in the header (gradient norm, dead ReLUs) while and after training."""
        if health != self.health:
            self.health = health
            self.update()

    @NodeItem.name.setter
    def name(self, name=""):
        # the card draws its title and id itself (NodeGraphQt's name label is hidden) and the hover text is
        # written when asked for (Canvas.hover_text): keep only the name, not a label text and a tooltip per set
        self._properties["name"] = name

    @NodeItem.layout_direction.setter
    def layout_direction(self, value=0):
        # NodeGraphQt redraws the whole node on every set, twice while creating it with the value
        # it already has: a quarter of opening a 500-node graph
        if value != self.layout_direction:
            NodeItem.layout_direction.fset(self, value)

    def _tooltip_disable(self, state):
        """Keep the canvas's tooltip (from the analysis); NodeGraphQt would put its name and type back on every redraw."""

    # -- layout ---------------------------------------------------------------------------------
    def _draw_node_horizontal(self):
        for port, text in list(self._input_items.items()) + list(self._output_items.items()):
            text.setVisible(port.isVisible() and port.display_name)
        self._text_item.setVisible(False)
        self._icon_item.setVisible(False)
        self._set_text_color(self.text_color)
        self._tooltip_disable(self.disabled)

        port_text_w = max((t.boundingRect().width() for t in self._input_items.values()), default=0.0)
        port_text_w += max((t.boundingRect().width() for t in self._output_items.values()), default=0.0)
        title_w = QtGui.QFontMetricsF(TITLE_FONT).horizontalAdvance(self.title) + 56
        sub_w = QtGui.QFontMetricsF(SUBTITLE_FONT).horizontalAdvance(self.subtitle) + 32
        rows = max(len(self._input_items), len(self._output_items), 1)
        self._width = max(MIN_WIDTH, title_w, sub_w, port_text_w + 48)
        if self.frozen:  # the FROZEN tag shares the footer's line: keep room for the setting beside it
            self._width = max(self._width, QtGui.QFontMetricsF(FOOTER_FONT).horizontalAdvance(self.footer) + 24 + 70)
        footer = FOOTER_HEIGHT if self.footer else 8.0
        self._height = HEADER_HEIGHT + 6 + rows * PORT_ROW + footer + thumbnail_height(self)
        self.align_ports(v_offset=HEADER_HEIGHT + 6)
        self.prepareGeometryChange()
        self.update()

    def mouseDoubleClickEvent(self, event):
        # the title is drawn, not an editable text item: renaming happens in the properties panel
        viewer = self.viewer()
        if viewer and event.button() == QtCore.Qt.MouseButton.LeftButton:
            viewer.node_double_clicked.emit(self.id)
        QtWidgets.QGraphicsItem.mouseDoubleClickEvent(self, event)

    # -- painting -------------------------------------------------------------------------------
    def auto_switch_mode(self):
        """NodeGraphQt maps the node's corners to the screen on every paint to choose its proxy mode; the
        level of detail is decided in `_paint_horizontal` from the painter's scale instead."""

    def _show_overview(self, overview: bool) -> None:
        """Zoomed out, ports are transparent: Qt then skips them without asking their Python boundingRect
        (1,100 ports on the 500-node graph), and their texts are hidden (NodeGraphQt's proxy mode)."""
        self._overview = overview
        self.set_proxy_mode(overview)
        for port in (*self._input_items, *self._output_items):
            port.setOpacity(0.0 if overview else 1.0)

    def _paint_horizontal(self, painter, option, widget):
        overview = (
            QtWidgets.QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform()) < OVERVIEW_ZOOM
        )
        if overview != self._overview:
            self._show_overview(overview)
        if overview:
            self._paint_overview(painter)
            return
        painter.save()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing, True)
        rect = QtCore.QRectF(1.0, 1.0, self._width - 2.0, self._height - 2.0)
        body = QtGui.QPainterPath()
        body.addRoundedRect(rect, RADIUS, RADIUS)

        if self.frozen:
            painter.setOpacity(FROZEN_OPACITY)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(theme.qcolor(theme.NODE_BODY))
        painter.drawPath(body)

        # header: the category colour, darkened so white text stays readable
        accent = theme.qcolor(self.accent)
        header_color = QtGui.QColor(accent).darker(210)
        painter.save()
        painter.setClipPath(body)
        painter.fillRect(QtCore.QRectF(rect.left(), rect.top(), rect.width(), HEADER_HEIGHT), header_color)
        painter.fillRect(QtCore.QRectF(rect.left(), rect.top(), rect.width(), 3.0), accent)
        painter.restore()

        text_right = rect.width() - (34 if self.severity else 14)
        painter.setPen(theme.qcolor(theme.TEXT))
        painter.setFont(TITLE_FONT)
        painter.drawText(
            QtCore.QRectF(12, 6, text_right - 10, 20),
            QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter,
            self.title,
        )
        painter.setFont(SUBTITLE_FONT)
        painter.setPen(QtGui.QColor(accent).lighter(135))
        painter.drawText(
            QtCore.QRectF(12, 24, text_right - 10, 16),
            QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter,
            self.subtitle,
        )

        if self.footer:
            painter.setFont(FOOTER_FONT)
            painter.setPen(theme.qcolor(theme.TEXT_DIM))
            metrics = QtGui.QFontMetricsF(FOOTER_FONT)
            room = rect.width() - 24 - (62 if self.frozen else 0)  # the FROZEN tag keeps its place
            footer_rect = QtCore.QRectF(12, rect.bottom() - FOOTER_HEIGHT, room, FOOTER_HEIGHT - 4)
            text = metrics.elidedText(self.footer, QtCore.Qt.TextElideMode.ElideRight, footer_rect.width())
            painter.drawText(
                footer_rect, QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter, text
            )

        paint_thumbnail(painter, self, rect, FOOTER_HEIGHT if self.footer else 8.0)
        painter.setOpacity(1.0)
        if self.frozen:
            self._paint_frozen(painter, rect)

        if self.selected:
            painter.setBrush(QtGui.QColor(255, 255, 255, 14))
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            painter.drawPath(body)

        # border: problems win over selection so a selected broken node still reads as broken
        if self.severity == "error":
            pen = QtGui.QPen(theme.qcolor(theme.ERROR), 2.4)
        elif self.severity == "warning":
            pen = QtGui.QPen(theme.qcolor(theme.WARNING), 1.8)
        elif self.selected:
            pen = QtGui.QPen(theme.qcolor(theme.NODE_SELECTED), 2.0)
        else:
            pen = QtGui.QPen(theme.qcolor(theme.NODE_BORDER), 1.0)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.setPen(pen)
        painter.drawPath(body)
        if self.selected and self.severity in ("error", "warning"):
            inner = QtGui.QPainterPath()
            inner.addRoundedRect(rect.adjusted(3, 3, -3, -3), RADIUS - 2, RADIUS - 2)
            painter.setPen(QtGui.QPen(theme.qcolor(theme.NODE_SELECTED, 200), 1.2))
            painter.drawPath(inner)

        if self.severity in ("error", "warning"):
            self._paint_badge(painter, rect)
        if self.health is not None:
            self._paint_health(painter, rect)
        painter.restore()

    def _paint_overview(self, painter: QtGui.QPainter) -> None:
        """Zoomed out: the card in its category colour and the title drawn large; no id, footer or badges'
        small text (they would be unreadable smudges, and skipping them keeps zooming cheap)."""
        painter.save()
        rect = QtCore.QRectF(1.0, 1.0, self._width - 2.0, self._height - 2.0)
        painter.setPen(QtGui.QPen(self._overview_border(), 3.0))
        painter.setBrush(QtGui.QColor(theme.qcolor(self.accent)).darker(210))
        painter.drawRoundedRect(rect, RADIUS, RADIUS)
        scale = QtWidgets.QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if scale * OVERVIEW_TITLE_FONT.pointSizeF() < self.MIN_TITLE_POINTS:
            painter.restore()  # a title a few pixels high is a smudge: the whole graph in view draws cards only
            return
        painter.setFont(OVERVIEW_TITLE_FONT)
        painter.setPen(theme.qcolor(theme.TEXT))
        text = QtGui.QFontMetricsF(OVERVIEW_TITLE_FONT).elidedText(
            self.title, QtCore.Qt.TextElideMode.ElideRight, rect.width() - 12
        )
        painter.drawText(rect.adjusted(6, 0, -6, 0), QtCore.Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def _overview_border(self) -> QtGui.QColor:
        if self.severity == "error":
            return theme.qcolor(theme.ERROR)
        if self.severity == "warning":
            return theme.qcolor(theme.WARNING)
        return theme.qcolor(theme.NODE_SELECTED if self.selected else theme.NODE_BORDER)

    def _paint_frozen(self, painter: QtGui.QPainter, rect: QtCore.QRectF) -> None:
        """A FROZEN tag at the bottom right, over the dimmed footer."""
        text = "FROZEN"
        width = QtGui.QFontMetricsF(HEALTH_FONT).horizontalAdvance(text) + 12
        tag = QtCore.QRectF(rect.right() - width - 8, rect.bottom() - 19, width, 15)
        painter.setPen(QtGui.QPen(QtGui.QColor(*FROZEN_COLOR), 1.0))
        painter.setBrush(QtGui.QColor(FROZEN_COLOR[0], FROZEN_COLOR[1], FROZEN_COLOR[2], 45))
        painter.drawRoundedRect(tag, 7.5, 7.5)
        painter.setFont(HEALTH_FONT)
        painter.drawText(tag, QtCore.Qt.AlignmentFlag.AlignCenter, text)

    def _paint_health(self, painter: QtGui.QPainter, rect: QtCore.QRectF) -> None:
        text, rgb = self.health
        metrics = QtGui.QFontMetricsF(HEALTH_FONT)
        width = metrics.horizontalAdvance(text) + 12
        # in the header, right of the id: the footer and the ports keep their room
        pill = QtCore.QRectF(rect.right() - width - 8, HEADER_HEIGHT - 19, width, 15)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(QtGui.QColor(rgb[0], rgb[1], rgb[2], 50))
        painter.drawRoundedRect(pill, 7.5, 7.5)
        painter.setPen(QtGui.QPen(QtGui.QColor(*rgb), 1.0))
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(pill, 7.5, 7.5)
        painter.setFont(HEALTH_FONT)
        painter.drawText(pill, QtCore.Qt.AlignmentFlag.AlignCenter, text)

    def _paint_badge(self, painter: QtGui.QPainter, rect: QtCore.QRectF) -> None:
        color = theme.ERROR if self.severity == "error" else theme.WARNING
        badge = QtCore.QRectF(rect.right() - 28, 12, 19, 19)
        painter.setPen(QtGui.QPen(QtGui.QColor(20, 20, 24), 1.5))
        painter.setBrush(theme.qcolor(color))
        painter.drawEllipse(badge)
        painter.setPen(QtGui.QColor(255, 255, 255) if self.severity == "error" else QtGui.QColor(30, 30, 30))
        painter.setFont(BADGE_FONT)
        painter.drawText(badge, QtCore.Qt.AlignmentFlag.AlignCenter, "!")
