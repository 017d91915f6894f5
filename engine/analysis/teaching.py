"""Teaching warnings: graphs that compute but will train badly, each said with what, why and the fix.

The rules read what node types are (their traits, engine/registry/traits.py), never their ids:
- a Softmax or Sigmoid right before a loss that applies its own (CrossEntropy, BCE with logits);
- two affine layers (Linear) with no activation between them, which collapse into one (unless the
  layer between is narrower than both ends: a bottleneck, a deliberate low-rank factorisation);
- four or more saturating activations (sigmoid, tanh) on every path, with no normalization.
Each finding carries a quick fix the editor applies with one click.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from engine.graph.model import Graph
from engine.registry import NodeType, TensorSpec
from engine.registry.fixes import InsertNode, QuickFix, RemoveNode
from engine.registry.traits import AFFINE, LINEAR_MAP, NORMALIZATION, PROBABILITIES, SATURATING, TAKES_LOGITS

SATURATING_RUN = 4  # this many saturating activations in a row make early gradients vanish


@dataclass(frozen=True)
class Lesson:
    """One teaching warning: on `node_id`, the sentence `text: hint`, with a quick fix."""

    node_id: str
    text: str
    hint: str
    fix: QuickFix | None


def teaching_warnings(
    graph: Graph,
    types: Mapping[str, NodeType],
    order: list[str],
    inputs: Mapping[str, dict],
    specs: Mapping[tuple[str, str], TensorSpec],
    subject: Callable[[str], str],
) -> list[Lesson]:
    """Every teaching warning in `graph`; `order` is topological, `inputs` each node's input specs,
    `specs` the output specs, `subject` names a node as problems do ("Softmax `sm`")."""
    found = _squashed_twice(graph, types, subject)
    found += _affine_pairs(graph, types, inputs, specs, subject)
    found += _saturating_runs(graph, types, order, inputs)
    return found


def _has(types: Mapping[str, NodeType], node_id: str, trait: str) -> bool:
    node_type = types.get(node_id)
    return node_type is not None and trait in node_type.traits


def _single_source(graph: Graph, node_id: str) -> str | None:
    edges = graph.edges_into(node_id)
    return edges[0].src if len(edges) == 1 else None


def _squashed_twice(graph: Graph, types: Mapping[str, NodeType], subject) -> list[Lesson]:
    found = []
    for loss, loss_type in types.items():
        if TAKES_LOGITS not in loss_type.traits:
            continue
        for edge in graph.edges_into(loss):
            if edge.dst_port != "prediction" or not _has(types, edge.src, PROBABILITIES):
                continue
            squash = edge.src
            fix = RemoveNode(squash) if len(graph.edges_into(squash)) == 1 else None
            found.append(
                Lesson(
                    squash,
                    f"turns the scores into probabilities right before {subject(loss)}, which takes raw scores "
                    "(logits) and squashes them itself",
                    f"remove `{squash}`. Squashed twice, the probabilities the loss sees can never be confident, "
                    "so the loss cannot reach 0 and its gradients shrink: learning stalls. Read probabilities "
                    "by applying it to the model's output after training",
                    fix,
                )
            )
    return found


def _affine_pairs(graph: Graph, types: Mapping[str, NodeType], inputs, specs, subject) -> list[Lesson]:
    found = []
    for node_id, node_type in types.items():
        if AFFINE not in node_type.traits:
            continue
        between: list[str] = []
        source = _single_source(graph, node_id)
        while source is not None and _has(types, source, LINEAR_MAP) and len(between) < 16:
            between.append(source)
            source = _single_source(graph, source)
        if source is None or not _has(types, source, AFFINE) or _bottleneck(source, node_id, inputs, specs):
            continue
        only = f" (only {', '.join(f'`{n}`' for n in reversed(between))})" if between else ""
        found.append(
            Lesson(
                node_id,
                f"follows {subject(source)} with no activation between them{only}",
                "insert an activation such as ReLU. Two linear layers in a row compute one linear function "
                "(W2(W1 x + b1) + b2 = W x + b): the second adds weights but no power to learn curved boundaries",
                InsertNode("activations.ReLU", "in", node=node_id),
            )
        )
    return found


def _bottleneck(first: str, second: str, inputs, specs) -> bool:
    """Whether the values between `first` and `second` are fewer than both what `first` reads and what
    `second` writes: the pair is then a low-rank map (an autoencoder's code), not one layer too many."""
    widths = [inputs.get(first, {}).get("in"), specs.get((first, "out")), specs.get((second, "out"))]
    if any(spec is None or not spec.dims for spec in widths):
        return False
    into, middle, out = (spec.dims[-1] for spec in widths)
    return middle < min(into, out)


def _saturating_runs(
    graph: Graph, types: Mapping[str, NodeType], order: list[str], inputs: Mapping[str, dict]
) -> list[Lesson]:
    """The node where the least-saturated path from the data first holds SATURATING_RUN saturating
    activations since the last normalization (a skip path around them keeps the count low)."""
    if not any(SATURATING in node_type.traits for node_type in types.values()):
        return []  # most graphs: no sigmoid or tanh, no walk
    run: dict[str, tuple[str, ...]] = {}  # node -> the saturating activations on its best path, in order
    found = []
    for node_id in order:
        node_type = types.get(node_id)
        sources = [e.src for e in graph.edges_into(node_id) if e.src in run]
        chain = min((run[s] for s in sources), key=len, default=())
        if node_type is None or NORMALIZATION in node_type.traits or node_type.role != "op":
            run[node_id] = ()
            continue
        if SATURATING in node_type.traits:
            chain = chain + (node_id,)
            if len(chain) == SATURATING_RUN:
                found.append(_saturating_lesson(node_id, chain, inputs.get(node_id, {}).get("in")))
        run[node_id] = chain
    return found


def _saturating_lesson(node_id: str, chain: tuple[str, ...], spec: TensorSpec | None) -> Lesson:
    listed = ", ".join(f"`{n}`" for n in chain)
    return Lesson(
        node_id,
        f"is the {len(chain)}th saturating activation in a row ({listed}) with no normalization between them",
        "insert a BatchNorm before it, or use ReLU, or add a residual path. Each sigmoid or tanh multiplies the "
        "gradient by at most 0.25 or 1, and by almost 0 where it saturates, so the first layers' gradients "
        "vanish and they stop learning",
        InsertNode(_normalization_for(spec), "in", node=node_id),
    )


def _normalization_for(spec: TensorSpec | None) -> str:
    """BatchNorm for features [B, F] or images [B, C, H, W]; LayerNorm for sequences and the rest."""
    rank = spec.rank if spec is not None else 2
    return {2: "layers.BatchNorm1d", 4: "layers.BatchNorm2d"}.get(rank, "layers.LayerNorm")
