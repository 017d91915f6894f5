"""The `python` export: a standalone, readable .py file that needs only torch.

It holds the model as an nn.Module (layers named by node id, one forward line per node), a
`train()` function with the graph's training settings, a torch-only reader for the
`.safetensors` weights written beside it, and `load_model()`. The text depends only on the
graph, so the same graph always gives the same file (golden files in the tests show changes).
"""

from __future__ import annotations

import keyword

from engine.compiler import class_name
from engine.export.codegen import LOSSES, OPTIMIZERS
from engine.export.model_part import ModelPart
from engine.graph import Graph
from engine.graph.training import default_training
from engine.registry import NodeContext, catalog

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
    lines += [
        '"""',
        "",
        "import json",
        "from pathlib import Path",
        "",
        "import torch",
        *functional,
        "from torch import nn",
    ]
    lines += READER.splitlines()
    lines += ["", ""] + _module_class(part, cls)
    for helper in helpers:
        lines += ["", ""] + helper.strip("\n").splitlines()
    lines += ["", ""] + train_lines
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
        f"Weights: {weights_name}, beside this file (tensors keyed like the model's state_dict).",
        "Needs only torch. `load_model()` returns the trained model in eval mode; `train()` trains",
        "a model the way the Netwright graph was set up to train.",
    ]


def _module_class(part: ModelPart, cls: str) -> list[str]:
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
    args = ", ".join(i.name for i in part.inputs)
    body = [f"class {cls}(nn.Module):", f"{INDENT}def __init__(self):", f"{INDENT * 2}super().__init__()"]
    body += [INDENT * 2 + line for line in init]
    body += ["", f"{INDENT}def forward(self, {args}):"]
    body += [INDENT * 2 + line for line in forward]
    first_port = catalog().get(part.graph.nodes[part.output].type_id).outputs[0].name
    body.append(f"{INDENT * 2}return {variable(part.graph, part.output, first_port)}")
    return body


def variable(graph: Graph, node_id: str, port: str) -> str:
    """The forward variable of an output port: the node id, or `id_port` for nodes with several outputs."""
    outputs = catalog().get(graph.nodes[node_id].type_id).outputs
    return node_id if len(outputs) == 1 else f"{node_id}_{port}"


def _context(part: ModelPart, node_id: str) -> NodeContext:
    graph, registry = part.graph, catalog()
    node_type = registry.get(graph.nodes[node_id].type_id)
    incoming = {e.dst_port: e for e in graph.edges_into(node_id)}
    names = {(i.node_id, i.port): i.name for i in part.inputs}
    inputs, args = {}, []
    for port in node_type.inputs:
        edge = incoming.get(port.name)
        if edge is None:
            continue
        inputs[port.name] = part.analysis.specs[(edge.src, edge.src_port)]
        args.append(names.get((edge.src, edge.src_port)) or variable(graph, edge.src, edge.src_port))
    return NodeContext(node_id, dict(graph.nodes[node_id].params), inputs, args)


# -- train() --------------------------------------------------------------------------------------


def _train_function(part: ModelPart) -> tuple[list[str], list[str]]:
    """The train() source and the helper classes it needs; a train() that explains itself when
    the graph's training cannot be written as one loop over (x, y)."""
    try:
        setup = _training_setup(part)
    except _Unsupported as exc:
        return _unsupported_train(str(exc)), []
    return _train_lines(part, setup), setup.helpers


class _Unsupported(Exception):
    pass


class _Setup:
    def __init__(
        self,
        optimizer_id: str,
        losses: list[str],
        scope: list[str],
        full_batch: bool,
        shuffle: bool,
        settings: dict,
        helpers: list[str],
    ):
        self.optimizer_id = optimizer_id
        self.losses = losses
        self.scope = scope
        self.full_batch = full_batch
        self.shuffle = shuffle
        self.settings = settings
        self.helpers = helpers


def _training_setup(part: ModelPart) -> _Setup:
    graph, registry = part.graph, catalog()
    roles = {n: registry.get(node.type_id).role for n, node in graph.nodes.items()}
    optimizers = [n for n in part.analysis.order if roles[n] == "optimizer"]
    if len(optimizers) != 1:
        raise _Unsupported(f"the graph has {len(optimizers)} optimizers; train() reproduces graphs with exactly one")
    optimizer = optimizers[0]
    losses = [n for n in part.analysis.order if n in graph.predecessors(optimizer)]
    for loss in losses:
        edges = {e.dst_port: e for e in graph.edges_into(loss)}
        if edges["prediction"].src != part.output:
            raise _Unsupported(
                f"loss `{loss}` compares `{edges['prediction'].src}`, not the exported output `{part.output}`"
            )
        target = edges["target"]
        if registry.get(graph.nodes[target.src].type_id).type_id != "data.Dataset" or target.src_port != "y":
            raise _Unsupported(
                f"loss `{loss}` takes its target from `{target.src}.{target.src_port}`, not the dataset's y"
            )
    if (
        len(part.inputs) != 1
        or part.inputs[0].port != "x"
        or registry.get(graph.nodes[part.inputs[0].node_id].type_id).type_id != "data.Dataset"
    ):
        raise _Unsupported("the model's inputs are not a Dataset's x alone")
    params = graph.nodes[optimizer].params
    explicit = params.get("scope") or []
    weighted = [
        n
        for n in part.analysis.order
        if n in part.program._modules and registry.get(graph.nodes[n].type_id).has_weights
    ]
    scope = [n for n in weighted if not explicit or n in explicit]
    scope = [n for n in scope if graph.nodes[n].params.get("trainable", True) is not False]
    if not scope:
        raise _Unsupported("no trainable layer is in the optimizer's scope")
    helpers = list(
        dict.fromkeys(LOSSES[graph.nodes[n].type_id].helper for n in losses if LOSSES[graph.nodes[n].type_id].helper)
    )
    code = OPTIMIZERS[registry.get(graph.nodes[optimizer].type_id).type_id]
    dataset = graph.nodes[part.inputs[0].node_id]
    return _Setup(
        optimizer,
        losses,
        scope,
        code.full_batch,
        bool(dataset.params.get("shuffle", True)),
        {**default_training(), **graph.training},
        helpers,
    )


def _unsupported_train(reason: str) -> list[str]:
    return [
        "def train(model, x, y, x_val=None, y_val=None):",
        f'{INDENT}"""Not generated: {reason}."""',
        f"{INDENT}raise NotImplementedError({('train() was not generated: ' + reason)!r})",
    ]


def _train_lines(part: ModelPart, s: _Setup) -> list[str]:
    graph, registry = part.graph, catalog()
    t = s.settings
    opt_node = graph.nodes[s.optimizer_id]
    opt_type = registry.get(opt_node.type_id)
    opt_code = OPTIMIZERS[opt_type.type_id]
    l1 = float(opt_node.params.get("l1", 0.0))
    clip = float(t["grad_clip"])
    loss_types = [registry.get(graph.nodes[n].type_id) for n in s.losses]
    summary = [
        f"{opt_type.title} (lr {opt_node.params['lr']:g}" + (f", L1 {l1:g}" if l1 else "") + ")",
        "loss " + " + ".join(_weighted(graph, n, t_.title) for n, t_ in zip(s.losses, loss_types, strict=True)),
        f"{t['epochs']} epochs",
        "full batch" if s.full_batch else f"{'shuffled ' if s.shuffle else ''}mini-batches of {t['batch_size']}",
        f"seed {t['seed']}",
    ]
    if clip:
        summary.append(f"gradient norm clipped to {clip:g}")
    if t["schedule"] != "none":
        summary.append(f"{t['schedule']} learning-rate schedule")
    i1, i2, i3, i4 = INDENT, INDENT * 2, INDENT * 3, INDENT * 4
    out = [
        f"def train(model, x, y, x_val=None, y_val=None, epochs={t['epochs']}, "
        + ("" if s.full_batch else f"batch_size={t['batch_size']}, ")
        + f"seed={t['seed']}):",
        f'{i1}"""Train `model` on tensors x, y as the Netwright graph was set up to train; returns one row of metrics per epoch.',
        "",
        f"{i1}Settings: " + ", ".join(summary) + ".",
        f"{i1}x and y must be prepared the way the Dataset node prepares them (e.g. standardized features).",
        f'{i1}"""',
        f"{i1}torch.manual_seed(seed)",
        f"{i1}generator = torch.Generator().manual_seed(seed)",
    ]
    if s.full_batch:
        out.append(f"{i1}batch_size = len(x)  # Gradient Descent: one step per epoch on the whole set")
    for node_id, loss_type in zip(s.losses, loss_types, strict=True):
        out.append(f"{i1}{_loss_var(node_id)} = {LOSSES[loss_type.type_id].criterion(graph.nodes[node_id].params)}")
    frozen = [n for n in part.program._modules if graph.nodes[n].params.get("trainable", True) is False]
    for node_id in frozen:
        out.append(f"{i1}model.{node_id}.requires_grad_(False)  # trainable is off in the graph")
    weighted = [
        n
        for n in part.analysis.order
        if n in part.program._modules and registry.get(graph.nodes[n].type_id).has_weights
    ]
    if s.scope == weighted:
        out.append(f"{i1}parameters = list(model.parameters())")
    else:  # the optimizer's scope, or some layers frozen
        names = ", ".join(f'"{n}"' for n in s.scope)
        out.append(f"{i1}parameters = [p for name in [{names}] for p in getattr(model, name).parameters()]")
    out.append(f"{i1}optimizer = {opt_code.make(opt_node.params)}")
    scheduler = _scheduler(t)
    if scheduler:
        out.append(f"{i1}scheduler = {scheduler}")
    early = bool(t["early_stopping"])
    if early:
        out += [f"{i1}best, best_epoch, best_state = float('inf'), 0, None"]
    objective = " + ".join(_weighted_call(graph, n) for n in s.losses)
    out += [
        f"{i1}history = []",
        f"{i1}for epoch in range(1, epochs + 1):",
        f"{i2}model.train()",
        f"{i2}order = torch.randperm(len(x), generator=generator)"
        if s.shuffle
        else f"{i2}order = torch.arange(len(x))",
        f"{i2}total = 0.0",
        f"{i2}for start in range(0, len(x), batch_size):",
        f"{i3}batch = order[start:start + batch_size]",
        f"{i3}prediction = model(x[batch])",
        f"{i3}loss = {objective.format(target='y[batch]')}",
    ]
    if l1:
        out.append(f"{i3}objective = loss + {l1!r} * sum(p.abs().sum() for p in parameters)  # L1 regularization")
    out += [
        f"{i3}optimizer.zero_grad()",
        f"{i3}{'objective' if l1 else 'loss'}.backward()",
    ]
    if clip:
        out.append(f"{i3}nn.utils.clip_grad_norm_(parameters, {clip!r})")
    out += [
        f"{i3}optimizer.step()",
        f"{i3}total += loss.item() * len(batch)",
        f'{i2}row = {{"epoch": epoch, "train_loss": total / len(x)}}',
        f"{i2}if x_val is not None:",
        f"{i3}model.eval()",
        f"{i3}with torch.no_grad():",
        f"{i4}prediction = model(x_val)",
        f'{i4}row["val_loss"] = {_item(objective.format(target="y_val"))}',
        f"{i2}history.append(row)",
        f'{i2}print(", ".join(f"{{k}} {{v:.4g}}" for k, v in row.items()))',
    ]
    if t["schedule"] == "plateau":
        out.append(f'{i2}scheduler.step(row.get("val_loss", row["train_loss"]))')
    elif scheduler:
        out.append(f"{i2}scheduler.step()")
    if early:
        restore = bool(t["restore_best_weights"])
        out += [
            f'{i2}monitored = row.get("val_loss", row["train_loss"])  # early stopping',
            f"{i2}if monitored < best - {float(t['min_delta'])!r}:",
            f"{i3}best, best_epoch = monitored, epoch",
        ]
        if restore:
            out.append(f"{i3}best_state = {{k: v.detach().clone() for k, v in model.state_dict().items()}}")
        out += [f"{i2}elif epoch - best_epoch >= {t['patience']}:", f"{i3}break"]
        if restore:
            out += [f"{i1}if best_state is not None:", f"{i2}model.load_state_dict(best_state)"]
    out.append(f"{i1}return history")
    return out


def _item(expression: str) -> str:
    return f"{expression}.item()" if " " not in expression.replace(", ", ",") else f"({expression}).item()"


def _loss_var(node_id: str) -> str:
    name = f"{node_id}_fn"
    return name if not keyword.iskeyword(name) else name + "_"


def _weighted(graph: Graph, node_id: str, title: str) -> str:
    weight = float(graph.nodes[node_id].params.get("weight", 1.0))
    return title if weight == 1.0 else f"{weight:g} x {title}"


def _weighted_call(graph: Graph, node_id: str) -> str:
    weight = float(graph.nodes[node_id].params.get("weight", 1.0))
    call = f"{_loss_var(node_id)}(prediction, {{target}})"
    return call if weight == 1.0 else f"{weight!r} * {call}"


def _scheduler(t: dict) -> str:
    kind = t["schedule"]
    if kind == "step":
        return f"torch.optim.lr_scheduler.StepLR(optimizer, step_size={t['schedule_step_size']}, gamma={t['schedule_gamma']!r})"
    if kind == "cosine":
        return "torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)"
    if kind == "plateau":
        mode = "max" if "acc" in t["monitor"] else "min"
        return (
            f"torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode={mode!r}, factor={t['schedule_gamma']!r}, "
            f"patience={t['schedule_patience']})"
        )
    return ""


# -- loading ----------------------------------------------------------------------------------------


def _loader(part: ModelPart, cls: str, weights_name: str) -> list[str]:
    example = ", ".join(_example_call(i) for i in part.inputs)
    i1, i2 = INDENT, INDENT * 2
    return [
        f"def load_model(weights=None) -> {cls}:",
        f'{i1}"""The model with the exported weights ({weights_name} beside this file by default), in eval mode."""',
        f"{i1}model = {cls}()",
        f'{i1}path = Path(weights) if weights is not None else Path(__file__).with_name("{weights_name}")',
        f"{i1}model.load_state_dict(read_safetensors(path))",
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
