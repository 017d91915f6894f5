"""One list of export formats: the command line offers, and the exporter writes, exactly the catalog's."""

import argparse
import subprocess
import sys
from pathlib import Path

from engine.cli import build_parser
from engine.export import EXPORT_FORMATS, FORMATS

ROOT = Path(__file__).resolve().parents[3]


def _export_format_choices() -> list[str]:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    export = commands.choices["export"]
    return next(a for a in export._actions if a.dest == "format").choices


def test_cli_export_choices_are_the_catalog():
    assert list(_export_format_choices()) == list(EXPORT_FORMATS)


def test_every_catalog_format_can_be_written_and_loaded_back():
    assert list(FORMATS) == list(EXPORT_FORMATS)
    for name, export_format in FORMATS.items():
        assert export_format.info is EXPORT_FORMATS[name]
        assert callable(export_format.write) and callable(export_format.load)


def test_suffixes_are_distinct_and_only_torchscript_is_legacy():
    suffixes = [f.suffix for f in EXPORT_FORMATS.values()]
    assert len(set(suffixes)) == len(suffixes) and all(s.startswith(".") for s in suffixes)
    assert [f.name for f in EXPORT_FORMATS.values() if f.legacy] == ["torchscript"]
    assert EXPORT_FORMATS["torchscript"].label == "TorchScript (.ts), legacy"


def test_listing_the_formats_does_not_load_torch():
    code = (
        "import sys\n"
        "from engine.export import EXPORT_FORMATS\n"
        "from engine.cli import build_parser\n"
        "build_parser()\n"
        "assert len(EXPORT_FORMATS) == 6\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
