"""`python -m engine export FILE --weights W --format F -o OUT`: write the model, then verify it.

The model is the part of the graph from its inputs to the prediction node (losses and
optimizers stay behind). The written file is reloaded and run on a fixed batch; the largest
difference from the compiled model is printed, and the command exits with 1 when it is above
1e-4. See docs/export.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from engine.cli.errors import UserError
from engine.cli.outputs import refuse_overwriting_inputs
from engine.export.format_catalog import EXPORT_FORMATS
from engine.graph import load_graph

EXIT_MISMATCH = 1


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help=f"export the trained model ({', '.join(EXPORT_FORMATS)}) and verify it",
        description="Export the model part of a graph and verify the file by reloading and running it. "
        "Formats: " + "; ".join(f"{f.name}: {f.description}" for f in EXPORT_FORMATS.values()) + ".",
    )
    parser.add_argument("file", help="graph file (.json)")
    parser.add_argument(
        "--weights",
        help="trained weights: weights.safetensors from `train`, or a .pt state_dict "
        "(read with weights_only=True); without it the initial weights are exported",
    )
    parser.add_argument("--format", required=True, choices=list(EXPORT_FORMATS), help="what to write")
    parser.add_argument("-o", "--out", required=True, help="file to write (python also writes OUT's .safetensors)")
    parser.add_argument(
        "--output",
        help="node id of the model's output (default: the node a loss compares with "
        "its target); picks one part of a graph with several, e.g. a GAN's generator",
    )
    parser.set_defaults(handler=run)


def run(args) -> int:
    from engine.export import ExportError, export_model

    outputs = {"-o": args.out}
    if args.format == "python":  # it writes its weights beside the module
        outputs["-o (the weights written beside it)"] = Path(args.out).with_suffix(".safetensors")
    refuse_overwriting_inputs(outputs, {"graph file": args.file, "weights file (--weights)": args.weights})
    graph = load_graph(args.file)
    if args.weights is None:
        print("note: no --weights given: exporting the untrained initial weights (seed 0)")
    try:
        result = export_model(graph, args.out, args.format, weights=args.weights, output=args.output)
    except ExportError as exc:
        raise UserError(str(exc)) from None
    print(f"{result.message} ({result.seconds:.1f} s)", file=sys.stdout if result.ok else sys.stderr)
    if len(result.files) > 1:
        print("also wrote " + ", ".join(str(f) for f in result.files[1:]))
    chosen = EXPORT_FORMATS[args.format]
    if chosen.legacy:
        print(f"note: {chosen.title} is legacy: {chosen.description}")
    return 0 if result.ok else EXIT_MISMATCH
