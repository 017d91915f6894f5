"""The `python` export: a standalone, readable .py file that needs only torch.

It holds the model as an nn.Module (layers named by node id, one forward line per node), a
`train()` function with the graph's training settings, a torch-only reader for the
`.safetensors` weights written beside it, and `load_model()`. The text depends only on the
graph, so the same graph always gives the same file (golden files in the tests show changes).
"""

from __future__ import annotations

from engine.compiler import class_name
from engine.export.block_classes import block_classes, block_layout, module_paths, scope_lines
from engine.export.model_part import ModelPart
from engine.export.table_predict import predict_lines, takes_table_rows
from engine.export.train_source import train_source
from engine.graph import Graph
from engine.registry import NodeContext, catalog
from engine.registry.weight_init import FORGET_SOURCE, INIT_SOURCE, uses_forget_bias, uses_init

INDENT = "    "

READER = '''
DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}


def read_safetensors(path) -> dict[str, torch.Tensor]:
    """The tensors of a .safetensors file, read with torch alone: an 8-byte header length, a JSON header, raw bytes."""
    data = Path(path).read_bytes()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + size])
    body = data[8 + size:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        flat = torch.frombuffer(bytearray(body[start:end]), dtype=dtype) if end > start else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(info["shape"])
    return tensors
'''


def python_source(part: ModelPart, weights_name: str) -> str:
    """The whole generated file for `part`; `weights_name` is the .safetensors file beside it."""
    graph = part.graph
    cls = class_name(graph.name or "netwright")
    lines = [f'"""{_title(graph)}: exported from Netwright as plain PyTorch.', ""]
    lines += _describe(part, weights_name)
    train_lines, helpers = _train_function(part)
    functional = ["import torch.nn.functional as F"] if any("F." in h for h in helpers) else []
    table = takes_table_rows(part)  # trained on a table: predict(rows) prepares raw rows as training did
    lines += [
        '"""',
        "",
        "import json",
        *(["import math"] if table else []),
        "from pathlib import Path",
        "",
        "import torch",
        *functional,
        "from torch import nn",
    ]
    lines += READER.splitlines()
    if any(uses_init(node.params) for node in graph.nodes.values()):  # layers drawn as the graph's init says
        lines += ["", ""] + INIT_SOURCE.strip("\n").splitlines()
    if any(uses_forget_bias(node.params) for node in graph.nodes.values()):  # LSTM forget gates' starting bias
        lines += ["", ""] + FORGET_SOURCE.strip("\n").splitlines()
    for block_class in _block_classes(part, cls):
        lines += ["", ""] + block_class
    lines += ["", ""] + _module_class(part, cls)
    for helper in helpers:
        lines += ["", ""] + helper.strip("\n").splitlines()
    lines += ["", ""] + train_lines
    if table:
        lines += ["", ""] + predict_lines(weights_name)
    lines += ["", ""] + _loader(part, cls, weights_name)
    return "\n".join(lines).rstrip("\n") + "\n"


def _title(graph: Graph) -> str:
    return (graph.name or "Netwright model").replace('"""', "'''")


def _describe(part: ModelPart, weights_name: str) -> list[str]:
    shapes = ", ".join(
        f"{i.name} {i.spec.bracket()}" + (" (integer ids)" if i.spec.is_labels else "") for i in part.inputs
    )
    return [
        f"Input: {shapes or 'none'}. Output: `{part.output}` {part.output_spec.bracket()} (B is the batch size).",
        f"Weights: {weights_name}, beside this file ({_weights_keys(part)}).",
        "Needs only torch. `load_model()` returns the trained model in eval mode; `train()` trains",
        "a model the way the Netwright graph was set up to train.",
    ]


def _block_classes(part: ModelPart, cls: str) -> list[list[str]]:
    """One class per kind of block the model holds (engine/export/block_classes.py); none without blocks."""
    if not part.graph.blocks:
        return []
    return block_classes(block_layout(part), {cls, "TrainingNetworks"})[0]


def _weights_keys(part: ModelPart) -> str:
    if module_paths(part):
        return "tensors keyed by node id, as Netwright writes them; load_model() places them in the blocks"
    return "tensors keyed like the model's state_dict"


def _module_class(part: ModelPart, cls: str) -> list[str]:
    if part.graph.blocks:
        layout = block_layout(part)
        if layout.exported:
            return _module_class_with_blocks(part, cls, layout)
    registry = catalog()
    init, forward = [], []
    for node_id in part.analysis.order:
        if node_id not in part.program._modules:  # every computing node of the part is a child
            continue
        node = part.graph.nodes[node_id]
        code = registry.get(node.type_id).codegen
        ctx = _context(part, node_id)
        line = code.init_line(ctx)
        if line is not None:
            init.append(line)
        forward += code.forward_lines(ctx)
    output_port = _output_port(part)
    return _class_lines(part, cls, init, forward, variable(part.graph, part.output, output_port))


def _module_class_with_blocks(part: ModelPart, cls: str, layout) -> list[str]:
    _, names = block_classes(layout, {cls, "TrainingNetworks"})
    init, forward, values = scope_lines(layout, None, names)
    return _class_lines(part, cls, init, forward, values[(part.output, _output_port(part))])


def _output_port(part: ModelPart) -> str:
    return catalog().get(part.graph.nodes[part.output].type_id).outputs[0].name


def _class_lines(part: ModelPart, cls: str, init: list[str], forward: list[str], returned: str) -> list[str]:
    """The model class: `init` lines in __init__, `forward` lines in forward, returning `returned`."""
    args = ", ".join(i.name for i in part.inputs)
    body = [f"class {cls}(nn.Module):", f"{INDENT}def __init__(self):", f"{INDENT * 2}super().__init__()"]
    body += [INDENT * 2 + line for line in init]
    body += ["", f"{INDENT}def forward(self, {args}):"]
    body += [INDENT * 2 + line for line in forward]
    body.append(f"{INDENT * 2}return {returned}")
    return body


def variable(graph: Graph, node_id: str, port: str) -> str:
    """The forward variable of an output port: the node id, or `id_port` for nodes with several outputs."""
    outputs = catalog().get(graph.nodes[node_id].type_id).outputs
    return node_id if len(outputs) == 1 else f"{node_id}_{port}"


def _context(part: ModelPart, node_id: str) -> NodeContext:
    graph, registry = part.graph, catalog()
    node_type = registry.get(graph.nodes[node_id].type_id)
    incoming = graph.edges_into(node_id)  # a `multiple` port's edges in the order they were connected
    names = {(i.node_id, i.port): i.name for i in part.inputs}
    inputs, args = {}, []
    for port in node_type.inputs:
        for edge in (e for e in incoming if e.dst_port == port.name):
            inputs.setdefault(port.name, part.analysis.specs[(edge.src, edge.src_port)])  # a multiple port: its first
            args.append(names.get((edge.src, edge.src_port)) or variable(graph, edge.src, edge.src_port))
    return NodeContext(node_id, dict(graph.nodes[node_id].params), inputs, args)


# -- train() --------------------------------------------------------------------------------------


def _train_function(part: ModelPart) -> tuple[list[str], list[str]]:
    """The train() source, written from the graph's training plan (engine/export/train_source.py), and its helpers."""
    return train_source(part, _context)


# -- loading ----------------------------------------------------------------------------------------


def _loader(part: ModelPart, cls: str, weights_name: str) -> list[str]:
    example = ", ".join(_example_call(i) for i in part.inputs)
    i1, i2 = INDENT, INDENT * 2
    paths = module_paths(part)
    placing = []
    if paths:  # layers inside blocks: Netwright's weights are keyed by node id, the model nests them
        placing = [
            "# Where each layer inside a block sits in the model: Netwright's weights files key tensors by",
            "# node id (`res1_conv1.weight`), this model nests them in its blocks (`res1.conv1.weight`).",
            "NODE_PATHS = {",
            *(f"{i1}{node_id!r}: {path!r}," for node_id, path in paths.items()),
            "}",
            "",
            "",
            "def place_weights(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:",
            f'{i1}"""Tensors keyed by node id -> keyed by this model\'s state_dict (keys already nested are kept)."""',
            f"{i1}placed = {{}}",
            f"{i1}for key, tensor in tensors.items():",
            f'{i2}node, _, rest = key.partition(".")',
            f'{i2}placed[f"{{NODE_PATHS[node]}}.{{rest}}" if node in NODE_PATHS else key] = tensor',
            f"{i1}return placed",
            "",
            "",
        ]
    read = "place_weights(read_safetensors(path))" if paths else "read_safetensors(path)"
    return placing + [
        f"def load_model(weights=None) -> {cls}:",
        f'{i1}"""The model with the exported weights ({weights_name} beside this file by default), in eval mode."""',
        f"{i1}model = {cls}()",
        f'{i1}path = Path(weights) if weights is not None else Path(__file__).with_name("{weights_name}")',
        f"{i1}model.load_state_dict({read})",
        f"{i1}return model.eval()",
        "",
        "",
        'if __name__ == "__main__":',
        f"{i1}model = load_model()",
        f"{i1}with torch.no_grad():",
        f"{i2}output = model({example})",
        f'{i1}print("{part.output}:", tuple(output.shape))',
    ]


def _example_call(model_input) -> str:
    spec = model_input.spec
    shape = ", ".join(str(d) for d in (2, *spec.dims))
    if spec.is_labels:
        return f"torch.randint(0, {spec.num_classes or 2}, ({shape},))"
    return f"torch.randn({shape})"
