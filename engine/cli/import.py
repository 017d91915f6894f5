"""`python -m engine import KIND ...`: bring a PyTorch model, an ONNX file or weights into Netwright.

    python -m engine import pytorch model.py --class Net --input-shape 1,28,28 -o net.json
    python -m engine import onnx model.onnx -o net.json
    python -m engine import weights graph.json --weights pretrained.safetensors -o weights.safetensors

A model import writes the graph file and its weights beside it (net.safetensors).
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.cli.errors import UserError
from engine.cli.outputs import refuse_overwriting_inputs
from engine.graph import load_graph

PYTHON_WARNING = "runs the Python file (importing a model executes its code: only import files you trust)"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("import", help="import a PyTorch model, an ONNX file, or weights into a graph")
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")

    pytorch = kinds.add_parser(
        "pytorch",
        help="an nn.Module traced with torch.fx (torch.export where fx cannot follow it); " + PYTHON_WARNING,
        description="Trace an nn.Module with torch.fx, or torch.export where fx meets control flow, into a graph "
        "with its weights: submodules become blocks, torch.nn layers without a node are kept whole. This "
        + PYTHON_WARNING
        + ".",
    )
    pytorch.add_argument("source", help="a Python file (with --class), or a dotted name like package.module:Class")
    pytorch.add_argument("--class", dest="class_name", help="the nn.Module class in the file")
    pytorch.add_argument("--factory", help="instead of --class: a function in the file that returns the model")
    pytorch.add_argument(
        "--init-args",
        help="keyword arguments for the class or factory, as a JSON object (never evaluated): '{\"upscale_factor\": 3}'",
    )
    pytorch.add_argument(
        "--input-dtype",
        choices=("float", "long"),
        help="float features, or long integer ids (default: long when the first layer is an Embedding)",
    )
    pytorch.add_argument("--input-shape", required=True, help="one sample's shape without the batch, e.g. 1,28,28")
    pytorch.add_argument("--weights", help="a state_dict to load first (.safetensors, or .pt read with weights_only)")
    pytorch.add_argument("-o", "--out", required=True, help="graph file to write (.json)")
    pytorch.set_defaults(handler=run)

    onnx = kinds.add_parser("onnx", help="an ONNX file with common operators (never runs code)")
    onnx.add_argument("source", help="the .onnx file")
    onnx.add_argument("-o", "--out", required=True, help="graph file to write (.json)")
    onnx.set_defaults(handler=run)

    weights = kinds.add_parser("weights", help="match a weights file to a graph's layers (transfer learning)")
    weights.add_argument("graph", help="graph file (.json)")
    weights.add_argument("--weights", required=True, help=".safetensors, or a .pt state_dict (weights_only)")
    weights.add_argument("-o", "--out", required=True, help="weights file to write for the graph (.safetensors)")
    weights.set_defaults(handler=run)


def run(args) -> int:
    from engine.importers import ModelImportError
    from engine.weights import WeightsFileError, WeightsMatchError

    _refuse_overwriting_inputs(args)
    try:
        if args.kind == "weights":
            return _weights(args)
        result = _model(args)
    except (ModelImportError, WeightsFileError, WeightsMatchError) as exc:
        raise UserError(str(exc)) from None
    weights = result.save(args.out)
    nodes = len(result.graph.nodes)
    diff = "not compared" if result.max_abs_diff is None else f"max abs diff {result.max_abs_diff:.3g}"
    if result.max_abs_diff is not None and result.max_rel_diff is not None:
        diff += f", max rel diff {result.max_rel_diff:.3g}"
    print(
        f"imported {result.graph.name}: {nodes} nodes, output `{result.output}`; the graph reproduces the "
        f"original with {diff}"
    )
    print(f"wrote {args.out} and {weights}")
    for note in result.notes:
        print(f"note: {note}")
    return 0


def _refuse_overwriting_inputs(args) -> None:
    outputs = {"-o": args.out}
    if args.kind == "weights":
        inputs = {"graph file": args.graph, "weights file (--weights)": args.weights}
    else:  # a model import also writes its weights beside the graph file
        outputs["-o (the weights written beside it)"] = Path(args.out).with_suffix(".safetensors")
        source = args.source if Path(args.source).exists() else None  # or a dotted name such as pkg.mod:Net
        inputs = {
            "ONNX file" if args.kind == "onnx" else "Python file": source,
            "weights file (--weights)": getattr(args, "weights", None),
        }
    refuse_overwriting_inputs(outputs, inputs)


def _model(args):
    from engine.importers import import_onnx, import_pytorch

    if args.kind == "onnx":
        return import_onnx(args.source)
    try:
        shape = [int(part) for part in args.input_shape.replace("x", ",").split(",") if part.strip()]
    except ValueError:
        raise UserError(f"--input-shape {args.input_shape!r}: expected sizes like 1,28,28") from None
    return import_pytorch(
        args.source,
        args.class_name,
        shape,
        args.weights,
        init_args=_init_args(args.init_args),
        factory=args.factory,
        input_dtype=args.input_dtype,
    )


def _init_args(text: str | None) -> dict:
    """--init-args as a dict: JSON only, so nothing the user typed is ever evaluated as Python."""
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"--init-args {text!r}: not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(value, dict):
        raise UserError(f"--init-args {text!r}: expected a JSON object of keyword arguments, like '{{\"size\": 3}}'")
    return value


def _weights(args) -> int:
    from engine.importers import import_weights

    graph = load_graph(args.graph)
    report = import_weights(graph, args.weights, args.out)
    for line in report.lines():
        print(line)
    print(f"wrote {args.out}")
    return 0
