"""From a graph to what the trainer runs: optimizers with their losses and scopes, inputs, metrics.

Plain data, worked out once before training starts; every problem is a TrainingError
that names the node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.analysis import Analysis, analyze
from engine.analysis.scopes import optimizer_scope
from engine.compiler import input_name
from engine.graph import Graph
from engine.registry import catalog
from engine.registry.traits import DIES
from engine.training.errors import TrainingError


@dataclass
class OptimizerPlan:
    node_id: str
    type_id: str
    params: dict
    losses: list[str]  # loss node ids, in graph order
    weights: dict[str, float]  # loss node id -> its `weight` param
    scope: list[str]  # nodes with weights this optimizer updates (frozen ones included)
    full_batch: bool
    updated: list[str] = field(default_factory=list)  # the scope less its frozen layers: what steps change

    @property
    def l1(self) -> float:
        return float(self.params.get("l1", 0.0))


@dataclass
class AccuracyPlan:
    """Accuracy of the prediction feeding `loss` against the dataset labels `target` (an input name)."""

    loss: str
    prediction: str
    target: str
    kind: str  # "argmax" (class scores) or "threshold" (logits > 0)


@dataclass
class TrainingPlan:
    graph: Graph
    analysis: Analysis
    dataset: str | None  # the Dataset node id
    inputs: dict[str, tuple[str, str]]  # forward argument -> (Dataset node id, port)
    noise: dict[str, tuple[int, str]]  # forward argument -> (size, distribution)
    optimizers: list[OptimizerPlan]  # in stepping order
    losses: list[str]  # every optimized loss, in graph order
    accuracy: list[AccuracyPlan] = field(default_factory=list)
    relus: list[str] = field(default_factory=list)  # activations whose units can die (trait `dies`): ReLU, ReLU6...
    weighted: list[str] = field(default_factory=list)  # nodes with weights, graph order
    frozen: list[str] = field(default_factory=list)  # nodes with weights whose `trainable` is off, graph order

    @property
    def full_batch(self) -> bool:
        return all(o.full_batch for o in self.optimizers)

    def facts(self) -> dict[str, Any]:
        """What the plan decided, as plain values (the run record keeps them): optimizers in stepping order."""
        return {
            "optimizers": [
                {
                    "id": o.node_id,
                    "type": o.type_id,
                    "losses": {loss: o.weights[loss] for loss in o.losses},
                    "scope": list(o.scope),
                    "updated": list(o.updated),
                    "l1": o.l1,
                    "weight_decay": float(o.params.get("weight_decay", 0.0)),
                }
                for o in self.optimizers
            ],
            "frozen": list(self.frozen),
            "full_batch": self.full_batch,
            "noise": {name: {"size": size, "distribution": kind} for name, (size, kind) in self.noise.items()},
        }

    def metric_names(self, has_val: bool) -> list[str]:
        """The float metrics every epoch row holds (what `monitor` may name)."""
        names = ["train_loss"]
        if len(self.losses) > 1:
            names += [f"train_loss_{n}" for n in self.losses]
        if self.accuracy:
            names.append("train_acc")
            if len(self.accuracy) > 1:
                names += [f"train_acc_{a.loss}" for a in self.accuracy]
        if has_val:
            names += [n.replace("train_", "val_", 1) for n in names]
        names.append("lr")
        if len(self.optimizers) > 1:
            names += [f"lr_{o.node_id}" for o in self.optimizers]
        return names + ["samples_per_s", "epoch_time"]

    def outputs_of(self, optimizer: OptimizerPlan | None) -> list[str]:
        """Node ids a program computes: the losses (one optimizer's or all) and their accuracy predictions."""
        losses = self.losses if optimizer is None else optimizer.losses
        preds = [a.prediction for a in self.accuracy if a.loss in losses]
        return list(dict.fromkeys(losses + preds))


def make_plan(graph: Graph, analysis: Analysis | None = None) -> TrainingPlan:
    """Work out what training `graph` means; raise TrainingError when it cannot be trained."""
    from engine.nodes.optimizers import full_batch

    analysis = analysis or analyze(graph)
    if analysis.errors:
        first = analysis.errors[0]
        more = f" (and {len(analysis.errors) - 1} more problems)" if len(analysis.errors) > 1 else ""
        raise TrainingError(f"cannot train: {first}{more}")
    registry = catalog()
    types = {n: registry.get(node.type_id) for n, node in graph.nodes.items()}
    rank = {n: i for i, n in enumerate(analysis.order)}
    optimizer_ids = [n for n in analysis.order if types[n].role == "optimizer"]
    if not optimizer_ids:
        raise TrainingError("cannot train: the graph has no optimizer; connect a loss to one such as Adam")
    frozen = [
        n for n in analysis.order if types[n].has_weights and graph.nodes[n].params.get("trainable", True) is False
    ]
    optimizers = []
    for opt in sorted(optimizer_ids, key=lambda n: (graph.nodes[n].params.get("order", 0), rank[n])):
        node = graph.nodes[opt]
        losses = sorted(graph.predecessors(opt), key=rank.__getitem__)
        scope = optimizer_scope(graph, opt, analysis.order)
        if not scope:
            raise TrainingError(
                f"{types[opt].title} `{opt}` has no weights to update: no layer with weights is "
                "upstream of its losses (is a Detach in the way?) or in its scope"
            )
        updated = [n for n in scope if n not in frozen]
        if not updated:
            raise TrainingError(
                f"optimizer `{opt}` has nothing to train: every layer in its scope "
                f"({', '.join(scope)}) is frozen (trainable off)"
            )
        optimizers.append(
            OptimizerPlan(
                opt,
                types[opt].type_id,
                dict(node.params),
                losses,
                {loss: float(graph.nodes[loss].params.get("weight", 1.0)) for loss in losses},
                scope,
                full_batch(types[opt].type_id),
                updated,
            )
        )
    if len({o.full_batch for o in optimizers}) > 1:
        gd = next(o.node_id for o in optimizers if o.full_batch)
        mini = next(o.node_id for o in optimizers if not o.full_batch)
        raise TrainingError(
            f"Gradient Descent `{gd}` takes full-batch steps but `{mini}` uses mini-batches; "
            "use SGD instead of Gradient Descent, or the same kind for both"
        )
    losses = sorted({loss for o in optimizers for loss in o.losses}, key=rank.__getitem__)
    needed = graph.ancestors(losses)
    dataset = None
    inputs: dict[str, tuple[str, str]] = {}
    noise: dict[str, tuple[int, str]] = {}
    for node_id in analysis.order:
        node_type = types[node_id]
        if node_id not in needed or node_type.role != "source":
            continue
        params = graph.nodes[node_id].params
        if node_type.type_id == "data.Dataset":
            dataset = node_id
            for port in node_type.outputs:
                inputs[input_name(graph, node_id, port.name)] = (node_id, port.name)
        elif node_type.type_id == "data.Noise":
            noise[input_name(graph, node_id, "out")] = (int(params["size"]), params["distribution"])
        else:
            raise TrainingError(
                f"{node_type.title} `{node_id}` feeds a loss, but training takes its data from a "
                "Dataset node (an Input is for calling the model from code)"
            )
    if dataset is None:
        raise TrainingError("cannot train: no Dataset node feeds the losses; connect a Dataset's x and y")
    plan = TrainingPlan(graph, analysis, dataset, inputs, noise, optimizers, losses)
    plan.accuracy = _accuracy_plans(plan, types)
    plan.relus = [n for n in analysis.order if DIES in types[n].traits and n in needed]
    plan.weighted = [n for n in analysis.order if types[n].has_weights]
    plan.frozen = frozen
    return plan


def _accuracy_plans(plan: TrainingPlan, types) -> list[AccuracyPlan]:
    graph = plan.graph
    result = []
    for loss in plan.losses:
        kind = types[loss].accuracy
        if kind is None:
            continue
        edges = {e.dst_port: e for e in graph.edges_into(loss)}
        target = edges.get("target")
        # Accuracy means something only against the dataset's own class labels.
        if target is None or (target.src, target.src_port) != (plan.dataset, "y"):
            continue
        if not plan.analysis.specs[(target.src, target.src_port)].is_labels:
            continue
        name = input_name(graph, target.src, target.src_port)
        result.append(AccuracyPlan(loss, edges["prediction"].src, name, kind))
    return result
