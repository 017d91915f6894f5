"""main.py refuses an old Python in one line; the X11 advice names real packages, each once."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from editor import platform_check
from editor.platform_check import DEBIAN, FEDORA, LIBRARY_PACKAGES, distribution_family, install_advice, packages_for

ROOT = Path(__file__).resolve().parents[1]


def _main_module():
    spec = importlib.util.spec_from_file_location("netwright_main", ROOT / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_python_3_11_and_newer_pass_the_check():
    main = _main_module()
    assert main.python_problem((3, 11, 0, "final", 0)) is None
    assert main.python_problem((3, 13, 1, "final", 0)) is None


def test_an_old_python_is_refused_in_one_line_naming_both_versions():
    problem = _main_module().python_problem((3, 10, 12, "final", 0))
    assert problem is not None and "\n" not in problem
    assert "Python 3.11 or newer" in problem and "3.10.12" in problem


def test_main_py_under_an_old_python_exits_before_importing_the_editor():
    """A real interpreter that reports 3.10: one line on stderr, exit 1, no Qt loaded."""
    code = (
        "import runpy, sys\n"
        "sys.version_info = (3, 10, 12, 'final', 0)\n"
        "try:\n"
        f"    runpy.run_path({str(ROOT / 'main.py')!r}, run_name='__main__')\n"
        "finally:\n"
        "    print('qt loaded' if 'PySide6' in sys.modules else 'qt not loaded')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "needs Python 3.11 or newer" in result.stderr and "3.10.12" in result.stderr
    assert result.stdout.strip() == "qt not loaded"


@pytest.mark.parametrize(
    ("os_release", "family"),
    [
        ('ID=debian\nVERSION_ID="12"\n', DEBIAN),
        ("ID=ubuntu\nID_LIKE=debian\n", DEBIAN),
        ('ID=linuxmint\nID_LIKE="ubuntu debian"\n', DEBIAN),
        ("ID=fedora\nVERSION_ID=41\n", FEDORA),
        ('ID="rocky"\nID_LIKE="rhel centos fedora"\n', FEDORA),
        ("ID=arch\n", None),
    ],
)
def test_the_distribution_family_is_read_from_os_release(tmp_path, os_release, family):
    path = tmp_path / "os-release"
    path.write_text(os_release, encoding="utf-8")
    assert distribution_family(path) == family


def test_a_missing_os_release_means_unknown(tmp_path):
    assert distribution_family(tmp_path / "absent") is None


def test_every_library_maps_to_package_names_not_file_names():
    for library, packages in LIBRARY_PACKAGES.items():
        assert library.endswith((".so.0", ".so.1", ".so.3", ".so.4", ".so.6")), library
        for package in packages:
            assert ".so" not in package and " " not in package and package, (library, package)


def test_packages_are_named_once_even_when_several_libraries_share_one():
    missing = ["libxcb-randr.so.0", "libxcb-shape.so.0", "libxcb-cursor.so.0", "libxcb-xkb.so.1"]
    assert packages_for(missing, DEBIAN) == ["libxcb-randr0", "libxcb-shape0", "libxcb-cursor0", "libxcb-xkb1"]
    assert packages_for(missing, FEDORA) == ["libxcb", "xcb-util-cursor"]


def test_advice_for_a_known_distribution_gives_its_line_only():
    advice = install_advice(["libxcb-cursor.so.0", "libxcb-util.so.1", "libxcb-icccm.so.4"], FEDORA)
    assert advice.splitlines() == ["    sudo dnf install xcb-util-cursor xcb-util xcb-util-wm    # Fedora"]


def test_advice_for_an_unknown_distribution_gives_both_and_keeps_file_names_out_of_commands():
    advice = install_advice(["libxcb-cursor.so.0", "libxcb-util.so.1", "libfancy.so.2"], None)
    lines = advice.splitlines()
    assert lines[0] == "    sudo apt-get install libxcb-cursor0 libxcb-util1    # Debian, Ubuntu"
    assert lines[1] == "    sudo dnf install xcb-util-cursor xcb-util    # Fedora"
    assert "libfancy.so.2" in lines[2] and "install" not in lines[2].split("(")[0]
    for line in lines[:2]:
        words = line.split("#")[0].split()
        assert len(words) == len(set(words)) and not any(".so" in w for w in words)


def test_main_py_names_the_fedora_packages_on_fedora(monkeypatch, capsys, tmp_path):
    os_release = tmp_path / "os-release"
    os_release.write_text("ID=fedora\n", encoding="utf-8")
    monkeypatch.setattr(platform_check, "OS_RELEASE", os_release)
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(platform_check, "_xcb_plugin", lambda: Path("libqxcb.so"))
    monkeypatch.setattr(platform_check, "missing_libraries", lambda plugin: ["libxcb-cursor.so.0", "libxcb-util.so.1"])
    assert _main_module().main(["main.py"]) == 1
    err = capsys.readouterr().err
    assert "sudo dnf install xcb-util-cursor xcb-util" in err
    assert "apt-get" not in err
