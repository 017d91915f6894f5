"""The window on a small screen: no larger than the screen, and the canvas its largest part."""

from PySide6 import QtCore

from editor.mainwindow import BOTTOM_DOCKS_FIRST_SHARE, BOTTOM_DOCKS_START_SHARE, TRAINING_DOCK_MAX_SHARE

Vertical = QtCore.Qt.Orientation.Vertical


def test_a_first_start_is_no_larger_than_the_screen(make_window, qtbot):
    window = make_window()
    window.resize(1600, 1000)  # what the constructor asks for
    assert not window.layout_restored
    window.fit_to_screen()
    room = window.screen().availableGeometry()
    assert room.width() < 1600 or room.height() < 1000, "the offscreen screen is expected to be smaller"
    # (its width cannot go below what the docks need, ~1100 px, more than this 800 px screen)
    assert window.height() <= room.height()


def test_a_tall_bottom_panel_is_brought_back_to_a_share_of_the_height(make_window, qtbot):
    window = make_window()
    window.resize(1280, 720)
    qtbot.wait(50)
    window.resizeDocks([window.problems_dock], [430], Vertical)  # as a saved layout after a run
    qtbot.waitUntil(lambda: window.problems_dock.height() > 0.5 * 720)
    canvas_before = window.canvas.widget.height()

    window.limit_bottom_docks()

    qtbot.waitUntil(lambda: window.problems_dock.height() <= BOTTOM_DOCKS_START_SHARE * 720)
    assert window.canvas.widget.height() > canvas_before + 100


def test_every_bottom_panel_can_shrink_below_a_third_of_720(make_window, qtbot):
    # a tall minimum in any tabbed panel (the Experiments definition was 383 px) holds them all
    window = make_window()
    qtbot.wait(50)  # wrapped labels report a tall minimum until their width is known
    for dock in (window.problems_dock, window.summary_dock, window.training_dock, window.experiments.dock):
        assert dock.minimumSizeHint().height() <= BOTTOM_DOCKS_START_SHARE * 720, dock.objectName()


def test_a_run_opens_the_training_panel_to_a_share_of_a_small_window(make_window, qtbot):
    window = make_window()
    window.resize(1280, 720)
    qtbot.wait(50)
    window.limit_bottom_docks(BOTTOM_DOCKS_FIRST_SHARE)  # as a first start leaves it (or the panels' minimum)
    qtbot.waitUntil(lambda: window.problems_dock.height() < 270)

    window.show_training_panel()

    qtbot.waitUntil(lambda: window.training_dock.height() > 270)  # grew from the ~244 minimum
    qtbot.wait(50)
    assert window.training_dock.height() <= TRAINING_DOCK_MAX_SHARE * 720 + 5  # not 420 of 720


def test_the_experiments_definition_scrolls_down_but_is_never_cut_at_the_side(make_window, qtbot):
    from PySide6 import QtWidgets

    window = make_window()
    window.resize(1280, 720)
    window.experiments.dock.show()
    window.experiments.dock.raise_()
    qtbot.wait(50)
    area = window.experiments.dock.findChild(QtWidgets.QScrollArea)
    assert area is not None
    assert area.viewport().width() >= area.widget().minimumSizeHint().width()


def test_a_training_panel_moved_elsewhere_leaves_the_bottom_panels_alone(make_window, qtbot):
    window = make_window()
    window.resize(1280, 720)
    window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, window.training_dock)  # the user moved it
    qtbot.wait(50)
    window.limit_bottom_docks(BOTTOM_DOCKS_FIRST_SHARE)
    qtbot.wait(50)
    bottom = window.problems_dock.height()

    window.show_training_panel()
    qtbot.wait(50)

    assert abs(window.problems_dock.height() - bottom) <= 2
