"""`python -m engine export FILE --weights W --format F -o OUT`: write the model, then verify it.

The model is the part of the graph from its inputs to the prediction node (losses and
optimizers stay behind). The written file is reloaded and run on a fixed batch; the largest
difference from the compiled model is printed, and the command exits with 1 when it is above
1e-4. See docs/export.md.
"""

from __future__ import annotations

import sys

from engine.cli.errors import UserError
from engine.graph import load_graph

EXIT_MISMATCH = 1
FORMAT_NAMES = ("safetensors", "pt", "pt2", "torchscript", "onnx", "python")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export the trained model (safetensors, pt, pt2, torchscript, onnx, python) and verify it",
        description="Export the model part of a graph and verify the file by reloading and running it. "
        "torchscript is a legacy format (torch.jit is deprecated); prefer pt2 or onnx.",
    )
    parser.add_argument("file", help="graph file (.json)")
    parser.add_argument(
        "--weights",
        help="trained weights: weights.safetensors from `train`, or a .pt state_dict "
        "(read with weights_only=True); without it the initial weights are exported",
    )
    parser.add_argument("--format", required=True, choices=FORMAT_NAMES, help="what to write")
    parser.add_argument("-o", "--out", required=True, help="file to write (python also writes OUT's .safetensors)")
    parser.add_argument(
        "--output",
        help="node id of the model's output (default: the node a loss compares with "
        "its target); picks one part of a graph with several, e.g. a GAN's generator",
    )
    parser.set_defaults(handler=run)


def run(args) -> int:
    from engine.export import ExportError, export_model

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
    if args.format == "torchscript":
        print("note: TorchScript is legacy (torch.jit is deprecated); pt2 or onnx are the maintained formats")
    return 0 if result.ok else EXIT_MISMATCH
