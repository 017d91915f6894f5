"""The exportable part of a graph: from its sources to one prediction node, with weights.

Losses and optimizers are training machinery, not part of the model, so an export compiles
only the nodes upstream of one output. A graph with several candidate outputs (a GAN, a
multi-head model) is exported one part at a time, chosen by its output node id.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import fx

from engine.analysis import Analysis, analyze
from engine.compiler import compile_graph, input_name
from engine.graph import Graph
from engine.registry import TensorSpec, catalog
from engine.training.errors import TrainingError
from engine.training.plan import make_plan
from engine.weights import WeightsFileError, read_weights

EXAMPLE_BATCH = 2  # what exporters trace with; torch.export specializes batch sizes 0 and 1
VERIFY_BATCH = 3  # what verification feeds: a different size proves the batch axis is dynamic


class ExportError(Exception):
    """A graph, weights file or format that cannot be exported; the message is one line."""


@dataclass(frozen=True)
class ModelInput:
    """One argument of the exported model's forward."""

    name: str  # forward's argument, e.g. `data_x`
    node_id: str
    port: str
    spec: TensorSpec


@dataclass
class ModelPart:
    """The compiled model of one output, in eval mode, with its inputs described."""

    graph: Graph
    analysis: Analysis
    output: str
    program: fx.GraphModule
    inputs: list[ModelInput]

    @property
    def output_spec(self) -> TensorSpec:
        port = catalog().get(self.graph.nodes[self.output].type_id).outputs[0].name
        return self.analysis.specs[(self.output, port)]


def model_part(
    graph: Graph, output: str | None = None, weights: str | os.PathLike | None = None, seed: int = 0
) -> ModelPart:
    """Compile the model that computes `output` (default: the prediction node) and load `weights`.

    Without weights the layers keep their initial values drawn after torch.manual_seed(seed).
    """
    analysis = analyze(graph)
    if analysis.errors:
        raise ExportError(f"cannot export: {analysis.errors[0]}")
    output = output or _default_output(graph)
    registry = catalog()
    if output not in graph.nodes:
        raise ExportError(f"cannot export: no node with id {output!r} (choose an output with --output)")
    role = registry.get(graph.nodes[output].type_id).role
    if role != "op":
        raise ExportError(
            f"cannot export `{output}`: it is a {role} node; --output takes a layer, activation "
            "or merge node whose output is the prediction"
        )
    torch.manual_seed(seed)
    program = compile_graph(graph, output, analysis)
    if weights is not None:
        load_model_weights(program, weights)
    program.eval()
    placeholders = [n.target for n in program.graph.nodes if n.op == "placeholder"]
    by_name = {}
    for node_id, node in graph.nodes.items():
        node_type = registry.get(node.type_id)
        if node_type.role == "source":
            for port in node_type.outputs:
                by_name[input_name(graph, node_id, port.name)] = (node_id, port.name)
    inputs = [ModelInput(name, *by_name[name], analysis.specs[by_name[name]]) for name in placeholders]
    return ModelPart(graph, analysis, output, program, inputs)


def _default_output(graph: Graph) -> str:
    """The single prediction node, or an ExportError that names what can be exported instead."""
    registry = catalog()
    roles = {n: registry.get(node.type_id).role for n, node in graph.nodes.items()}
    predictions = []
    for node_id, role in roles.items():
        if role == "loss":
            predictions += [e.src for e in graph.edges_into(node_id) if e.dst_port == "prediction"]
    if not predictions:  # an untrained model: every op node that feeds nothing
        predictions = [n for n, r in roles.items() if r == "op" and not graph.successors(n)]
    candidates = list(dict.fromkeys(predictions))
    if len(candidates) == 1:
        _refuse_several_networks(graph, candidates[0])
        return candidates[0]
    if not candidates:
        raise ExportError("cannot export: the graph has no layer whose output could be the model's prediction")
    detached = [e.src for n, node in graph.nodes.items() if node.type_id == "merge.Detach" for e in graph.edges_into(n)]
    options = [f"--output {c} exports the part that computes `{c}` (from {_sources_of(graph, c)})" for c in candidates]
    options += [
        f"--output {d} exports the generator alone (the part before the Detach)"
        for d in dict.fromkeys(detached)
        if d not in candidates
    ]
    raise ExportError(
        f"cannot export this graph as one model: it has {len(candidates)} outputs "
        f"({', '.join(candidates)}); export one part at a time: " + "; ".join(options)
    )


def _refuse_several_networks(graph: Graph, output: str) -> None:
    """A GAN's prediction is computed by two networks that separate optimizers train: not one model."""
    try:
        plan = make_plan(graph)
    except TrainingError:
        return
    upstream = graph.ancestors([output])
    involved = [o for o in plan.optimizers if set(o.scope) & upstream]
    scopes = [set(o.scope) for o in involved]
    if len(involved) < 2 or any(a & b for i, a in enumerate(scopes) for b in scopes[i + 1 :]):
        return
    parts = "; ".join(f"`{o.node_id}` trains {', '.join(o.scope)}" for o in involved)
    options = []
    for opt in involved:
        end = _network_end(graph, opt.scope)
        alone = not any(set(other.scope) & graph.ancestors([end]) for other in involved if other is not opt)
        if alone:
            sources = {graph.nodes[n].type_id for n in graph.ancestors([end]) if not graph.predecessors(n)}
            what = "the generator" if sources == {"data.Noise"} else f"the network `{opt.node_id}` trains"
            options.append(f"--output {end} exports {what} alone")
    choice = "; ".join(options) if options else "choose a part with --output"
    raise ExportError(
        f"cannot export `{output}` as one model: it is computed by {len(involved)} networks with "
        f"their own optimizers ({parts}); {choice}"
    )


def _network_end(graph: Graph, scope: list[str]) -> str:
    """The last layer of a scope, followed through weightless single-input layers (a final Tanh, a Reshape)."""
    registry = catalog()
    upstream_of = {n: graph.ancestors([n]) for n in scope}
    end = next(n for n in scope if all(n not in upstream_of[m] or m == n for m in scope))
    while True:
        following = graph.successors(end)
        if len(following) != 1:
            return end
        node_type = registry.get(graph.nodes[following[0]].type_id)
        if node_type.role != "op" or node_type.has_weights or len(graph.edges_into(following[0])) != 1:
            return end
        end = following[0]


def _sources_of(graph: Graph, node_id: str) -> str:
    registry = catalog()
    upstream = graph.ancestors([node_id])
    names = set()
    for edge in graph.edges:
        source = registry.get(graph.nodes[edge.src].type_id)
        if source.role == "source" and edge.dst in upstream:
            names.add(f"{edge.src}.{edge.src_port}" if len(source.outputs) > 1 else edge.src)
    return ", ".join(sorted(names)) or "no inputs"


def load_model_weights(program: torch.nn.Module, path: str | os.PathLike) -> None:
    """Load the model's tensors from a weights file of the whole graph (extra tensors are ignored)."""
    try:
        tensors = read_weights(path)
    except WeightsFileError as exc:
        raise ExportError(str(exc)) from None
    expected = program.state_dict()
    missing = [k for k in expected if k not in tensors]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise ExportError(
            f"{path}: has no tensor {', '.join(missing[:3])}{more}; were these weights trained on this graph?"
        )
    for key, value in expected.items():
        if tuple(tensors[key].shape) != tuple(value.shape):
            raise ExportError(
                f"{path}: {key} has shape {list(tensors[key].shape)}, the graph expects {list(value.shape)}"
            )
    program.load_state_dict({k: tensors[k] for k in expected}, strict=True)


def example_inputs(part: ModelPart, batch: int = VERIFY_BATCH, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """A deterministic batch for every input: normal floats, or ids below num_classes."""
    generator = torch.Generator().manual_seed(seed)
    values = []
    for model_input in part.inputs:
        spec = model_input.spec
        shape = (batch, *spec.dims)
        if spec.is_labels:
            values.append(torch.randint(0, spec.num_classes or 2, shape, generator=generator))
        else:
            values.append(torch.randn(shape, generator=generator))
    return tuple(values)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
