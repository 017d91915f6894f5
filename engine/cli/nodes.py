"""`python -m engine nodes [--markdown]`: list every node type (the catalog reference)."""

from __future__ import annotations

import sys

from engine.registry import catalog
from engine.registry.reference import catalog_markdown, catalog_text


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("nodes", help="list every node type with a one-line summary")
    parser.add_argument("--markdown", action="store_true", help="the full reference: ports, parameters, help")
    parser.set_defaults(handler=run)


def run(args) -> int:
    registry = catalog()
    sys.stdout.write(catalog_markdown(registry) if args.markdown else catalog_text(registry))
    return 0
