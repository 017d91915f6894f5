"""`TrainingNetworks` in the exported file: what training runs when the exported model is not enough.

A GAN exported as its generator, a model with a second head, a loss on another node: the
trainer runs one program per optimizer over the whole graph. This class holds the exported
model's layers (shared with `model`, so training updates it) and the other nodes those programs
run, with one `<optimizer>_losses(...)` method per optimizer that computes what it minimizes,
running exactly the nodes the trainer's program for that optimizer runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from engine.compiler import input_name
from engine.export.block_classes import module_paths
from engine.export.model_part import ModelInput, ModelPart
from engine.registry import NodeContext, catalog
from engine.training.plan import OptimizerPlan, TrainingPlan

NETWORKS = "TrainingNetworks"
I1, I2 = "    ", "        "

ContextOf = Callable[[ModelPart, str], NodeContext]


@dataclass
class TrainingStep:
    """One optimizer's forward pass as the trainer compiles it: the nodes it runs and the inputs it takes."""

    plan: OptimizerPlan
    nodes: list[str]  # computing nodes (losses included) upstream of its losses, graph order
    args: list[str]  # input names, in the order of the trainer's program's arguments


def training_steps(plan: TrainingPlan) -> list[TrainingStep]:
    """The plan's optimizers in stepping order, each with what its forward pass runs."""
    graph, registry, order = plan.graph, catalog(), plan.analysis.order
    roles = {n: registry.get(node.type_id).role for n, node in graph.nodes.items()}
    steps = []
    for optimizer in plan.optimizers:
        upstream = graph.ancestors(plan.outputs_of(optimizer))
        nodes = [n for n in order if n in upstream and roles[n] in ("op", "loss")]
        args = []
        for node_id in order:  # as the compiler orders placeholders: sources in graph order, ports in order
            if node_id not in upstream or roles[node_id] != "source":
                continue
            for port in registry.get(graph.nodes[node_id].type_id).outputs:
                if any(e.src == node_id and e.src_port == port.name and e.dst in upstream for e in graph.edges):
                    args.append(input_name(graph, node_id, port.name))
        steps.append(TrainingStep(optimizer, nodes, args))
    return steps


def networks_class(part: ModelPart, plan: TrainingPlan, steps: list[TrainingStep], context_of: ContextOf) -> list[str]:
    """The TrainingNetworks source; `context_of` names node inputs the way the model class does."""
    graph, registry = part.graph, catalog()
    types = {n: registry.get(node.type_id) for n, node in graph.nodes.items()}
    context_part = dataclasses.replace(part, inputs=_all_inputs(plan))
    nodes = [n for n in plan.analysis.order if any(n in s.nodes for s in steps)]
    in_model = part.program._modules
    paths = module_paths(part)  # layers inside exported blocks sit deeper in `model`
    extra = [n for n in nodes if n not in in_model and types[n].role == "op" and types[n].has_weights]
    out = [
        f"class {NETWORKS}(nn.Module):",
        f'{I1}"""Everything training runs: the exported model\'s layers (shared, so training updates `model`) and',
        f"{I1}the rest of the graph's training nodes (layers outside the model: {', '.join(extra) or 'none'}).",
        "",
        f"{I1}Each `<optimizer>_losses` method runs only the nodes that optimizer's losses need, as the",
        f"{I1}Netwright trainer's program for it does, and returns those losses.",
        f'{I1}"""',
        "",
        f"{I1}def __init__(self, model):",
        f"{I2}super().__init__()",
    ]
    for node_id in nodes:
        node_type = types[node_id]
        if node_type.role == "loss":
            out.append(f"{I2}self.{node_id} = {node_type.codegen.criterion(graph.nodes[node_id].params)}")
            continue
        line = node_type.codegen.init_line(context_of(context_part, node_id))
        if line is not None:
            out.append(
                f"{I2}self.{node_id} = model.{paths.get(node_id, node_id)}" if node_id in in_model else I2 + line
            )
    for step in steps:
        optimizer = step.plan.node_id
        titles = ", ".join(f"{types[n].title} `{n}`" for n in step.plan.losses)
        out += ["", f"{I1}def {optimizer}_losses(self, {', '.join(step.args)}):"]
        out.append(f'{I2}"""What `{optimizer}` minimizes: {titles}."""')
        for node_id in step.nodes:
            ctx = context_of(context_part, node_id)
            if types[node_id].role == "loss":
                out.append(f"{I2}{node_id} = self.{node_id}({', '.join(ctx.args)})")
            else:
                out += [I2 + line for line in types[node_id].codegen.forward_lines(ctx)]
        out.append(f"{I2}return {', '.join(step.plan.losses)}")
    return out


def _all_inputs(plan: TrainingPlan) -> list[ModelInput]:
    """Every source port, named as forward arguments: the context of nodes outside the exported part."""
    graph, registry, specs = plan.graph, catalog(), plan.analysis.specs
    inputs = []
    for node_id in plan.analysis.order:
        node_type = registry.get(graph.nodes[node_id].type_id)
        if node_type.role != "source":
            continue
        for port in node_type.outputs:
            if (node_id, port.name) in specs:
                name = input_name(graph, node_id, port.name)
                inputs.append(ModelInput(name, node_id, port.name, specs[(node_id, port.name)]))
    return inputs
