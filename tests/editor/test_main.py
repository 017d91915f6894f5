"""main.py: a readable message instead of Qt's abort when no window can be opened."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from editor import platform_check

ROOT = Path(__file__).resolve().parents[2]


def _main_module():
    spec = importlib.util.spec_from_file_location("netwright_main", ROOT / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_xcb_libraries_name_the_debian_packages(monkeypatch, capsys):
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(platform_check, "missing_libraries", lambda plugin: ["libxcb-cursor.so.0", "libxcb-icccm.so.4"])
    assert _main_module().main(["main.py"]) == 1
    err = capsys.readouterr().err
    assert "apt-get install libxcb-cursor0 libxcb-icccm4" in err
    assert "xcb" in err


def test_no_display_is_explained(monkeypatch, capsys):
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    assert _main_module().main(["main.py"]) == 1
    assert "xvfb-run" in capsys.readouterr().err


def test_offscreen_needs_no_check(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert platform_check.display_problem() is None
