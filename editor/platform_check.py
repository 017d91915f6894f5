"""Before Qt starts: can the windowing plugin load? Qt aborts the process when the xcb plugin
misses a system library, so we look first and name the packages to install (Debian/Ubuntu and
Fedora package names: `apt-get` and `dnf` refuse library file names)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

# shared library the xcb plugin (or Qt under it) loads -> (Debian/Ubuntu package, Fedora package)
LIBRARY_PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
}
DEBIAN, FEDORA = "debian", "fedora"
INSTALLERS = {DEBIAN: ("sudo apt-get install", "Debian, Ubuntu"), FEDORA: ("sudo dnf install", "Fedora")}
OS_RELEASE = Path("/etc/os-release")


def packages_for(libraries: list[str], family: str) -> list[str]:
    """The packages of `family` (debian or fedora) that provide `libraries`, each once, in order."""
    column = 0 if family == DEBIAN else 1
    packages = [LIBRARY_PACKAGES[lib][column] for lib in libraries if lib in LIBRARY_PACKAGES]
    return list(dict.fromkeys(packages))


def distribution_family(os_release: Path | None = None) -> str | None:
    """debian or fedora when /etc/os-release says so (Ubuntu, Mint, RHEL... included), else None."""
    try:
        text = (os_release or OS_RELEASE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    words: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("ID", "ID_LIKE"):
            words.update(value.strip().strip("\"'").lower().split())
    if words & {"debian", "ubuntu"}:
        return DEBIAN
    if words & {"fedora", "rhel", "centos"}:
        return FEDORA
    return None


def install_advice(missing: list[str], family: str | None) -> str:
    """What to install for the `missing` libraries: this distribution's line, or both when unknown."""
    lines = []
    for name in [family] if family else [DEBIAN, FEDORA]:
        packages = packages_for(missing, name)
        if packages:
            command, distributions = INSTALLERS[name]
            lines.append(f"    {command} {' '.join(packages)}    # {distributions}")
    unknown = [lib for lib in missing if lib not in LIBRARY_PACKAGES]
    if unknown:
        lines.append(
            f"and the packages that provide {', '.join(unknown)} (find them with `apt-file search NAME` "
            "or `dnf provides '*/NAME'`)"
        )
    return "\n".join(lines)


def _xcb_plugin() -> Path | None:
    try:
        import PySide6
    except ImportError:
        return None
    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(plugin: Path) -> list[str]:
    """Libraries the plugin needs that the dynamic loader cannot find (via `ldd`)."""
    if shutil.which("ldd") is None:
        return []
    try:
        out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return list(dict.fromkeys(line.split()[0] for line in out.splitlines() if "not found" in line))


def display_problem() -> str | None:
    """A readable explanation when a window cannot be opened on this machine, else None."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None  # offscreen, wayland, vnc...: not our check
    if not platform and os.environ.get("WAYLAND_DISPLAY"):
        return None
    if not os.environ.get("DISPLAY"):
        return (
            "Netwright needs a display, and none was found (DISPLAY is not set).\n"
            "Run it from a desktop session, or under a virtual display:\n"
            "    xvfb-run -a netwright    (from a checkout: xvfb-run -a python main.py)"
        )
    plugin = _xcb_plugin()
    if plugin is None:
        return None
    missing = missing_libraries(plugin)
    if not missing:
        return None
    return (
        "Qt cannot open a window: its X11 (xcb) platform plugin needs system libraries that are missing "
        f"({', '.join(missing)}). Install them with:\n" + install_advice(missing, distribution_family())
    )
