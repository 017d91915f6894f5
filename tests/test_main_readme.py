"""The README's promises that code can check: the two first commands, CI's command, the runs folder."""

from __future__ import annotations

import re
from pathlib import Path

from editor.launch import PROG, add_edit_command
from engine.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, flags=re.S)


def test_the_readme_opens_with_exactly_two_one_line_commands_after_the_python_version():
    before_first_block = README[: README.index("```")]
    assert "Python 3.11 or newer" in before_first_block
    assert "X libraries" in before_first_block
    (kind1, install_and_open), (kind2, install_and_test) = BLOCKS[:2]
    assert kind1 == kind2 == "bash"
    assert install_and_open.count("\n") == install_and_test.count("\n") == 1
    assert install_and_open.strip().endswith("&& netwright")
    assert install_and_test.strip().endswith("&& python -m pytest")


def test_ci_runs_the_readmes_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == BLOCKS[1][1].strip()


def test_every_netwright_command_in_the_readme_exists():
    parser = build_parser(PROG, add_commands=add_edit_command)
    commands = set(parser._subparsers._group_actions[0].choices)
    used = re.findall(r"^netwright (\w+)", "\n".join(text for _kind, text in BLOCKS), flags=re.M)
    assert used and set(used) <= commands, set(used) - commands
    assert {"doctor", "edit", "validate", "train", "export"} <= set(used)


def test_the_linux_runs_folder_the_readme_names_is_where_the_editor_puts_them(monkeypatch, tmp_path, qapp):
    from editor.files import default_recovery_path

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    names = qapp.applicationName(), qapp.organizationName()
    qapp.setApplicationName("Netwright")  # as editor.app.create_application names it
    qapp.setOrganizationName("Netwright")
    try:
        folder = default_recovery_path().parent
    finally:
        qapp.setApplicationName(names[0])
        qapp.setOrganizationName(names[1])
    assert "`~/.local/share/Netwright/Netwright/`" in README
    assert folder == tmp_path / ".local" / "share" / "Netwright" / "Netwright"
