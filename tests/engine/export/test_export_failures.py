"""A failed export never destroys the previous one: full and read-only disks, in every format.

Before, pt, pt2 and TorchScript wrote in place: a full disk left the old export truncated,
and pt2 and TorchScript aborted the whole process (rc 134) from inside torch's zip writer.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from engine.compiler import build_modules
from engine.export import ExportError, export_model
from engine.export.format_catalog import EXPORT_FORMATS
from engine.graph import save_graph
from tests.disks import fill, listing, make_read_only, small_disk
from tests.engine.conftest import make_mlp

ROOT = Path(__file__).resolve().parents[3]
# torch's own writers for these two abort the process on a full disk: test them through a
# child process, so a regression fails this test instead of killing the whole test session
IN_A_CHILD = ("pt2", "torchscript")


@pytest.fixture
def model_files(tmp_path):
    """The MLP graph and two different sets of weights for it."""
    graph = make_mlp()
    save_graph(graph, tmp_path / "mlp.json")
    first = build_modules(graph).state_dict()
    save_file(first, str(tmp_path / "first.safetensors"))
    save_file({k: v + 1 for k, v in first.items()}, str(tmp_path / "second.safetensors"))
    return graph, tmp_path


def export_in_a_child(graph_file: Path, weights: Path, fmt: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", "export", str(graph_file), "--weights", str(weights)]
        + ["--format", fmt, "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_a_full_disk_keeps_the_previous_export_whole(fmt, model_files):
    graph, folder = model_files
    with small_disk(folder / "disk", 1024) as disk:
        out = disk / f"model{EXPORT_FORMATS[fmt].suffix}"
        assert export_model(graph, out, fmt, weights=folder / "first.safetensors").ok
        before = listing(disk)
        assert len(before) == (2 if fmt == "python" else 1)
        fill(disk)
        if fmt in IN_A_CHILD:
            done = export_in_a_child(folder / "mlp.json", folder / "second.safetensors", fmt, out)
            assert done.returncode == 2, done.stderr[-2000:]  # not 134 (aborted)
            message = done.stderr.strip()
            assert "\n" not in message and "Traceback" not in message
        else:
            with pytest.raises(ExportError) as caught:
                export_model(graph, out, fmt, weights=folder / "second.safetensors")
            message = str(caught.value)
        assert f"cannot write {disk}" in message and "No space left on device" in message
        assert "nothing was replaced" in message
        assert listing(disk) == before  # same files, same bytes, no temporary file left


@pytest.mark.parametrize("fmt", ["pt", "python"])
def test_a_read_only_folder_is_one_line_and_keeps_the_previous_export(fmt, model_files):
    graph, folder = model_files
    with small_disk(folder / "disk", 256) as disk:
        out = disk / f"model{EXPORT_FORMATS[fmt].suffix}"
        assert export_model(graph, out, fmt, weights=folder / "first.safetensors").ok
        before = listing(disk)
        make_read_only(disk)
        with pytest.raises(ExportError, match=f"{fmt} export: cannot write to output folder {disk}: Read-only file"):
            export_model(graph, out, fmt, weights=folder / "second.safetensors")
        assert listing(disk) == before


def test_an_output_path_through_a_file_or_onto_a_folder_is_one_line(model_files):
    graph, folder = model_files
    (folder / "afile").write_text("not a folder")
    with pytest.raises(ExportError, match="pt export: output folder .*afile is a file, not a folder"):
        export_model(graph, folder / "afile" / "model.pt", "pt")
    (folder / "adir").mkdir()
    with pytest.raises(ExportError, match="cannot write .*adir: Is a directory"):
        export_model(graph, folder / "adir", "pt")
    assert (folder / "afile").read_text() == "not a folder" and not list((folder / "adir").iterdir())


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_exports_get_normal_permissions(fmt, model_files):
    graph, folder = model_files
    old = os.umask(0o022)
    try:
        result = export_model(graph, folder / f"model{EXPORT_FORMATS[fmt].suffix}", fmt)
    finally:
        os.umask(old)
    assert result.ok and result.files
    assert {stat.S_IMODE(f.stat().st_mode) for f in result.files} == {0o644}  # readable by others, like cp gives


def test_a_rewritten_export_is_the_new_model(model_files):
    """The atomic path writes the new bytes, not a stale copy: reloading gives the new weights."""
    graph, folder = model_files
    out = folder / "model.pt"
    export_model(graph, out, "pt", weights=folder / "first.safetensors")
    export_model(graph, out, "pt", weights=folder / "second.safetensors")
    reloaded = torch.load(out, weights_only=True)
    second = load_file(str(folder / "second.safetensors"))
    assert reloaded.keys() == second.keys() and all(torch.equal(reloaded[k], v) for k, v in second.items())
