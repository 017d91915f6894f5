"""Validation and shape inference in one pass over the graph (no torch; runs on every edit)."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from engine.analysis.fixes import locate
from engine.analysis.forward_names import per_port_names
from engine.analysis.problems import Problem, sentence
from engine.analysis.scopes import optimizer_scope
from engine.analysis.teaching import teaching_warnings
from engine.graph.grouping import node_paths
from engine.graph.model import RESERVED_IDS, Edge, Graph, reserved_reason
from engine.graph.training import TRAINING_INDEX
from engine.registry import NodeType, ParamError, ShapeError, TensorSpec, catalog
from engine.registry.fixes import AddNode, Connect, QuickFix

PortRef = tuple[str, str]  # (node id, port name)


@dataclass
class Analysis:
    """Shapes on every output port that could be inferred, and every problem found."""

    specs: dict[PortRef, TensorSpec] = field(default_factory=dict)
    # What each node's shape rule was given (port -> spec, or a list for a multiple port), for
    # every node whose inputs all had shapes, whether or not its own rule then refused them:
    # builders take exactly these.
    inputs: dict[str, dict] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # topological order of the acyclic part

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    def edge_spec(self, edge: Edge) -> TensorSpec | None:
        return self.specs.get((edge.src, edge.src_port))

    def problems_of(self, node_id: str) -> list[Problem]:
        return [p for p in self.problems if p.node_id == node_id]


def validate(graph: Graph) -> list[Problem]:
    """Every problem in `graph`, errors first; an empty list means it can be compiled and trained."""
    return analyze(graph).problems


def infer_shapes(graph: Graph) -> dict[PortRef, TensorSpec]:
    return analyze(graph).specs


def analyze(graph: Graph) -> Analysis:
    return _Analyzer(graph).run()


class _Analyzer:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.registry = catalog()
        self.result = Analysis()
        self.types: dict[str, NodeType] = {}
        self.bad_nodes: set[str] = set()  # nodes whose outputs cannot be inferred
        self.paths = node_paths(graph)  # `block3/conv2` for nodes inside blocks
        self.inputs: dict[str, list[Edge]] = defaultdict(list)
        self.outputs: dict[str, list[Edge]] = defaultdict(list)
        for edge in graph.edges:
            self.inputs[edge.dst].append(edge)
            self.outputs[edge.src].append(edge)

    def run(self) -> Analysis:
        self._check_types_and_params()
        self._check_forward_names()
        self._check_edges()
        order = self._topological_order()
        self.result.order = order
        for node_id in order:
            self._infer_node(node_id)
        self._check_training_structure()
        self._check_training_settings()
        for lesson in teaching_warnings(
            self.graph, self.types, order, self.result.inputs, self.result.specs, self._subject
        ):
            if lesson.node_id not in self.bad_nodes:
                self.report(lesson.node_id, lesson.text, lesson.hint, severity="warning", fix=lesson.fix)
        rank = {"error": 0, "warning": 1, "info": 2}
        position = {node_id: index for index, node_id in enumerate(self.graph.nodes)}
        self.result.problems.sort(key=lambda p: (rank[p.severity], position.get(p.node_id, len(position))))
        return self.result

    # -- helpers ------------------------------------------------------------------------------
    def _title(self, node_id: str) -> str:
        node_type = self.types.get(node_id)
        return node_type.title if node_type else self.graph.nodes[node_id].type_id

    def _subject(self, node_id: str) -> str:
        return f"{self._title(node_id)} `{self.paths.get(node_id, node_id)}`"

    def report(
        self, node_id: str | None, text: str, hint: str = "", severity: str = "error", fix: QuickFix | None = None
    ) -> None:
        subject = self._subject(node_id) if node_id else "The graph"
        title = self._title(node_id) if node_id else "Graph"
        path = self.paths.get(node_id, "") if node_id else ""
        self.result.problems.append(Problem(node_id, title, severity, sentence(subject, text, hint), hint, fix, path))
        if node_id and severity == "error":
            self.bad_nodes.add(node_id)

    # -- checks -------------------------------------------------------------------------------
    def _check_types_and_params(self) -> None:
        for node in self.graph.nodes.values():
            current = self.registry.resolve(node.type_id)
            if current is None:
                self.report(
                    node.id,
                    f"has an unknown node type {node.type_id!r}",
                    "it may come from a newer Netwright; delete the node or replace it with a known type",
                )
                continue
            node_type = self.registry.get(current)
            self.types[node.id] = node_type
            if node.id in RESERVED_IDS:
                self.report(
                    node.id,
                    f"has the id `{node.id}`, which is reserved for PyTorch ({reserved_reason(node.id)})",
                    f"rename it, e.g. to `{self._free_id(node.id)}`",
                )
            _, errors = node_type.check_params(node.params)
            for error in errors:
                self.report(
                    node.id, f"has a bad value for {error.param}: {error.message}", "change it in the properties panel"
                )

    def _check_forward_names(self) -> None:
        """No node id may be a name forward() gives to another node's port, nor two ports one name."""
        for name, owners in per_port_names(self.types).items():
            owner, port = owners[0]
            if name in self.graph.nodes:
                self.report(
                    name,
                    f"has the id `{name}`, which the compiled forward() already uses for {self._subject(owner)}'s "
                    f"output `{port}`",
                    f"rename it, e.g. to `{self._free_id(name)}`",
                )
            for other, other_port in owners[1:]:
                self.report(
                    other,
                    f"gives its output `{other_port}` the name `{name}` in forward(), which {self._subject(owner)} "
                    f"uses for its output `{port}`",
                    f"rename `{other}` or `{owner}`",
                )

    def _free_id(self, node_id: str) -> str:
        """A usable id like `node_id` to suggest: `__init__` -> `init1`, `data_x` -> `data_x1`."""
        stem = node_id.strip("_") or "node"
        number = 1
        while f"{stem}{number}" in self.graph.nodes or f"{stem}{number}" in RESERVED_IDS:
            number += 1
        return f"{stem}{number}"

    def _check_edges(self) -> None:
        for edge in self.graph.edges:
            src_type, dst_type = self.types.get(edge.src), self.types.get(edge.dst)
            if src_type and src_type.output_port(edge.src_port) is None:
                names = ", ".join(p.name for p in src_type.outputs) or "none"
                self.report(edge.src, f"has no output `{edge.src_port}` (outputs: {names})", f"reconnect {edge}")
            if dst_type and dst_type.input_port(edge.dst_port) is None:
                names = ", ".join(p.name for p in dst_type.inputs) or "none"
                self.report(edge.dst, f"has no input `{edge.dst_port}` (inputs: {names})", f"reconnect {edge}")
        for node_id, node_type in self.types.items():
            counts: dict[str, int] = defaultdict(int)
            for edge in self.inputs[node_id]:
                counts[edge.dst_port] += 1
            for port in node_type.inputs:
                if counts[port.name] > 1 and not port.multiple:
                    self.report(
                        node_id,
                        f"has {counts[port.name]} edges into input `{port.name}`, which takes one",
                        "merge them first with an Add or Concat node",
                    )

    def _topological_order(self) -> list[str]:
        indegree = {node_id: 0 for node_id in self.graph.nodes}
        for edge in self.graph.edges:
            indegree[edge.dst] += 1
        ready = deque(n for n in self.graph.nodes if indegree[n] == 0)
        order: list[str] = []
        while ready:
            node_id = ready.popleft()
            order.append(node_id)
            for edge in self.outputs[node_id]:
                indegree[edge.dst] -= 1
                if indegree[edge.dst] == 0:
                    ready.append(edge.dst)
        if len(order) < len(self.graph.nodes):
            left = {n for n in self.graph.nodes if indegree[n] > 0}
            for node_id in sorted(left):
                loop = self._loop_through(node_id, left)
                if loop:  # nodes merely downstream of a cycle are not part of it
                    self.report(
                        node_id,
                        f"is part of a cycle ({' -> '.join(loop)})",
                        "data must flow one way; remove one of these edges "
                        "(recurrence belongs inside an RNN, LSTM or GRU node)",
                    )
                else:
                    self.bad_nodes.add(node_id)
        return order

    def _loop_through(self, start: str, within: set[str]) -> list[str]:
        """The shortest path start -> ... -> start inside `within`, or [] if there is none."""
        parents: dict[str, str] = {}
        frontier = [start]
        while frontier:
            following = []
            for current in frontier:
                for edge in self.outputs[current]:
                    nxt = edge.dst
                    if nxt == start:
                        path = [current]
                        while path[-1] != start:
                            path.append(parents[path[-1]])
                        return path[::-1] + [start]
                    if nxt in within and nxt not in parents:
                        parents[nxt] = current
                        following.append(nxt)
            frontier = following
        return []

    def _infer_node(self, node_id: str) -> None:
        node_type = self.types.get(node_id)
        if node_type is None or node_id in self.bad_nodes:
            return
        connected: dict[str, list[Edge]] = defaultdict(list)
        for edge in self.inputs[node_id]:
            connected[edge.dst_port].append(edge)
        missing = [p.name for p in node_type.inputs if not connected.get(p.name) and not p.optional and not p.multiple]
        for port_name in missing:
            self._report_unconnected(node_id, node_type, port_name)
        if missing:
            return
        inputs: dict = {}
        for port in node_type.inputs:
            edges = connected.get(port.name, [])
            if not edges:
                continue
            specs = [self.result.specs.get((e.src, e.src_port)) for e in edges]
            if any(s is None for s in specs):
                return  # an upstream node already has a problem; don't cascade
            inputs[port.name] = specs if port.multiple else specs[0]
        self.result.inputs[node_id] = inputs
        try:
            outputs = node_type.infer(self.graph.resolved_params(node_id), inputs)
        except ShapeError as exc:
            fix = locate(exc.fix, node_id, self.graph, self.result.specs) if exc.fix else None
            self.report(node_id, exc.message, exc.hint, fix=fix)
            return
        except (ParamError, KeyError, ValueError, TypeError, ZeroDivisionError) as exc:
            self.report(node_id, f"could not work out its output shape ({exc})", "check its parameters")
            return
        for name, spec in outputs.items():
            self.result.specs[(node_id, name)] = spec

    def _report_unconnected(self, node_id: str, node_type: NodeType, port: str) -> None:
        fix = None
        hint = f"connect something to `{port}`"
        if node_type.role == "loss" and port == "target":
            dataset = next((n for n, t in self.types.items() if t.type_id == "data.Dataset"), None)
            if dataset:
                hint = f"connect the Dataset's `y` (`{dataset}.y`) to the target"
                fix = Connect(dataset, "y", node_id, port)
        self.report(node_id, f"has nothing connected to its required input `{port}`", hint, fix=fix)

    def _check_training_structure(self) -> None:
        roles = {n: t.role for n, t in self.types.items()}
        losses = [n for n, r in roles.items() if r == "loss"]
        optimizers = [n for n, r in roles.items() if r == "optimizer"]
        datasets = [n for n, t in self.types.items() if t.type_id == "data.Dataset"]
        if len(datasets) > 1:
            for node_id in datasets[1:]:
                self.report(
                    node_id,
                    f"is a second Dataset (the first is `{datasets[0]}`); a graph trains on one dataset",
                    "feed every branch from one Dataset node",
                )
        optimized = {e.src for o in optimizers for e in self.inputs[o]}
        unoptimized = [loss for loss in losses if loss not in optimized]
        idle_optimizers = [o for o in optimizers if not self.inputs[o]]
        for loss in unoptimized:
            self.report(
                loss,
                "is not connected to an optimizer, so nothing learns from it",
                "connect its `loss` output to an optimizer such as Adam",
                severity="warning",
                fix=self._optimizer_fix(loss, optimizers, idle_optimizers),
            )
        for loss in losses:
            upstream = self._upstream(loss)
            if not any(roles.get(n) == "source" for n in upstream) and loss not in self.bad_nodes:
                self.report(
                    loss,
                    "has no path from a data node (Dataset, Input or Noise)",
                    "wire the model between the Dataset's `x` and this loss's prediction",
                )
        for opt in optimizers:
            if not self.inputs[opt]:
                self.report(
                    opt,
                    "has no loss to minimize",
                    "connect a loss node's `loss` output to it",
                    fix=self._loss_fix(opt, losses, unoptimized, idle_optimizers),
                )
                continue
            scope = self.graph.nodes[opt].params.get("scope") or []
            if not (isinstance(scope, list) and all(isinstance(t, str) for t in scope)):
                continue  # a malformed scope is already reported as a bad parameter value
            for target in scope:
                if target not in self.graph.nodes:
                    self.report(
                        opt,
                        f"has `{target}` in its scope, but no node has that id",
                        "remove it from the scope or rename the node",
                    )
                elif target in self.types and not self.types[target].has_weights:
                    self.report(
                        opt,
                        f"has `{target}` in its scope, but {self._title(target)} has no weights",
                        "list only layers with weights",
                        severity="warning",
                    )
        self._check_scopes(optimizers)
        has_weights = any(t.has_weights for t in self.types.values())
        if has_weights and not losses:
            self.report(
                None,
                "has no loss node, so it cannot be trained",
                "add a loss (e.g. Cross-Entropy) after the model's output and an optimizer after the loss",
                severity="info",
            )

    def _optimizer_fix(self, loss: str, optimizers: list[str], idle: list[str]) -> QuickFix | None:
        """Connect a lone loss to the one optimizer that has none (or the only one), else add an Adam.

        Several optimizers that all have losses (a GAN) leave the choice to the user.
        """
        candidates = idle if len(idle) == 1 else optimizers if len(optimizers) == 1 else []
        if candidates:
            return self._loss_edge(loss, candidates[0])
        if optimizers:
            return None
        adam = self.registry.get("optimizers.Adam")
        return AddNode(adam.type_id, loss, self.types[loss].outputs[0].name, adam.inputs[0].name)

    def _loss_fix(self, opt: str, losses: list[str], unoptimized: list[str], idle: list[str]) -> QuickFix | None:
        """Connect the loss nothing optimizes (or the graph's only loss) to an optimizer that has none."""
        if len(idle) == 1 and len(unoptimized) == 1:
            return self._loss_edge(unoptimized[0], opt)
        if len(idle) == 1 and len(losses) == 1:
            return self._loss_edge(losses[0], opt)
        return None

    def _loss_edge(self, loss: str, opt: str) -> Connect:
        return Connect(loss, self.types[loss].outputs[0].name, opt, self.types[opt].inputs[0].name)

    def _check_scopes(self, optimizers: list[str]) -> None:
        """Each optimizer needs weights to update; two that update the same layer undo each other."""
        owner: dict[str, str] = {}
        for opt in optimizers:
            if not self.inputs[opt] or opt in self.bad_nodes:
                continue
            scope = optimizer_scope(self.graph, opt, self.result.order)
            if not scope:
                self.report(
                    opt,
                    "has no weights to update: no layer with weights is upstream of its losses or in its scope",
                    "check for a Detach in the way, or list the layers in its scope",
                )
            shared = [n for n in scope if n in owner]
            if shared:
                other = owner[shared[0]]
                self.report(
                    opt,
                    f"updates {', '.join(shared)}, which {self._subject(other)} updates too, so "
                    "their steps work against each other",
                    "give each optimizer a scope with its own "
                    "layers (in a GAN: the generator's and the discriminator's)",
                    severity="warning",
                )
            for node_id in scope:
                owner.setdefault(node_id, opt)

    def _upstream(self, node_id: str) -> set[str]:
        seen, todo = set(), [node_id]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(e.src for e in self.inputs[current])
        return seen

    def _check_training_settings(self) -> None:
        for name, value in self.graph.training.items():
            param = TRAINING_INDEX.get(name)
            if param is None:
                known = ", ".join(TRAINING_INDEX)
                self._report_training(f"has an unknown setting {name!r} (known: {known})", "remove it")
                continue
            try:
                param.check(value)
            except ParamError as error:
                self._report_training(
                    f"has a bad value for {name}: {error.message}", "change it in the training settings"
                )

    def _report_training(self, text: str, hint: str) -> None:
        self.result.problems.append(
            Problem(None, "Training", "error", sentence("The training block", text, hint), hint)
        )
