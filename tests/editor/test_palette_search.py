"""Palette and Tab search find nodes by the words users type, not only by exact titles."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from editor.palette_search import match_rank, search
from engine.registry import catalog


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dense", "layers.Linear"),
        ("fully connected", "layers.Linear"),
        ("Fully-Connected", "layers.Linear"),
        ("conv", "layers.Conv2d"),
        ("pool", "layers.MaxPool2d"),
        ("norm", "layers.BatchNorm2d"),
        ("batchnorm", "layers.BatchNorm2d"),
        ("cross entropy", "losses.CrossEntropy"),
        ("skip connection", "merge.Add"),
    ],
)
def test_search_finds_synonyms(query, expected):
    found = [t.type_id for t, _rank in search(catalog(), query)]
    assert expected in found


def test_name_matches_rank_before_help_text_matches():
    ranked = search(catalog(), "dense")
    assert ranked[0][0].type_id == "layers.Linear"
    # "probability" is in the help text of Sigmoid, not in any of its names: found, but as a help match
    sigmoid = catalog().get("activations.Sigmoid")
    assert match_rank(sigmoid, "probability") == 2
    assert match_rank(sigmoid, "xyzzy") is None


def test_palette_filter_shows_synonym_matches_and_enter_adds_the_best(window, qtbot):
    palette = window.palette
    palette.filter.setText("fully connected")
    assert "layers.Linear" in palette.visible_type_ids()
    assert palette.no_match.isHidden()
    before = set(window.document.graph.nodes)
    qtbot.keyClick(palette.filter, QtCore.Qt.Key.Key_Return)
    (added,) = set(window.document.graph.nodes) - before
    assert window.document.graph.nodes[added].type_id == "layers.Linear"


def test_palette_says_so_when_nothing_matches(window):
    palette = window.palette
    palette.filter.setText("xyzzy")
    assert palette.visible_type_ids() == []
    assert palette.no_match.isVisibleTo(palette)
    assert "xyzzy" in palette.no_match.text() and "conv" in palette.no_match.text()
    assert not palette.tree.isVisibleTo(palette)
    palette.filter.clear()
    assert palette.no_match.isHidden() and palette.tree.isVisibleTo(palette)
    assert len(palette.visible_type_ids()) == len(list(catalog()))


def test_tab_search_ranks_synonyms_and_says_when_nothing_matches(window, qtbot):
    quick = window.canvas.quick_add
    window.canvas.open_quick_add()
    qtbot.keyClicks(quick.search, "dense")
    assert quick.results.item(0).data(QtCore.Qt.ItemDataRole.UserRole) == "layers.Linear"
    quick.search.setText("xyzzy")
    assert quick.results.count() == 1 and "No node matches" in quick.results.item(0).text()
    before = set(window.document.graph.nodes)
    qtbot.keyClick(quick.search, QtCore.Qt.Key.Key_Return)
    assert set(window.document.graph.nodes) == before
    assert not quick.isVisible()


def test_help_text_is_searched_when_no_name_matches(window):
    palette = window.palette
    palette.filter.setText("probability")  # no type is called that; Sigmoid's help uses the word
    assert "activations.Sigmoid" in palette.visible_type_ids()
    palette.filter.setText("linear")  # a name matches: the help texts that mention it are not listed
    assert palette.visible_type_ids() == ["layers.Linear"]
