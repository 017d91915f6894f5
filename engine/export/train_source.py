"""The exported file's `train()`, written from the TrainingPlan the Netwright trainer runs.

The plan (engine/training/plan.py) decides which optimizers step, in which order, which layers
each updates (its scope, stopped by Detach, less the frozen layers), the loss weights, L1 and
whether batches are the whole set; the training block gives epochs, batch size, seed, clipping,
schedules and early stopping. This module only writes those decisions down, the way the trainer
carries them out: the same shuffling and noise generators and seeds, one forward pass per
optimizer (after the previous optimizer's step), validation in chunks of the same size. So for
a seed, train() updates the same parameters and reports the same losses as the trainer.

When the exported model is all training needs (every loss compares the model's output with the
Dataset's `y`), train() calls the model itself. Otherwise (a GAN, a second head, losses on other
nodes) the file also holds `TrainingNetworks`: the model's layers, shared, plus the layers only
training runs (a GAN's discriminator), with one method per optimizer computing what it minimizes.
"""

from __future__ import annotations

import inspect
import keyword
from typing import Any

from engine.compiler import input_name
from engine.export.block_classes import module_paths
from engine.export.model_part import ModelPart
from engine.export.training_networks import NETWORKS, ContextOf, TrainingStep, networks_class, training_steps
from engine.graph.training import default_training
from engine.registry import catalog
from engine.training.augmentation import AUGMENT_SEED_OFFSET, Augmentation, augment_batch
from engine.training.errors import TrainingError
from engine.training.plan import TrainingPlan, make_plan
from engine.training.schedules import monitor_mode
from engine.training.trainer import VAL_CHUNK

I1, I2, I3, I4, I5 = ("    " * n for n in range(1, 6))
# Names train() uses itself: a node id equal to one of them gets a trailing underscore.
RESERVED = {
    "model", "networks", "x", "y", "x_val", "y_val", "epochs", "batch_size", "seed", "history", "epoch", "order",
    "start", "stop", "index", "totals", "val_totals", "means", "train", "row", "prediction", "objective", "best",
    "best_epoch", "best_state", "monitored", "shuffle_generator", "noise_generator", "val_noise_generator",
    "torch", "nn", "F", "json", "Path", "self",
}  # fmt: skip


def train_source(part: ModelPart, context_of: ContextOf) -> tuple[list[str], list[str]]:
    """The source of train() (after TrainingNetworks where it needs one) and the helper classes it uses.

    `context_of(part, node_id)` is the exported model class's own way of naming a node's inputs,
    so TrainingNetworks writes its layers exactly as the model class does.
    """
    try:
        plan = make_plan(part.graph, part.analysis)
    except TrainingError as exc:
        return _not_generated(str(exc).removeprefix("cannot train: ")), []
    writer = _TrainWriter(part, plan, context_of)
    return writer.lines(), writer.helpers()


def _not_generated(reason: str) -> list[str]:
    return [
        "def train(model, x, y, x_val=None, y_val=None):",
        f'{I1}"""Not generated: {reason}."""',
        f"{I1}raise NotImplementedError({('train() was not generated: ' + reason)!r})",
    ]


def name_for(node_id: str) -> str:
    """A variable named after a node, kept clear of keywords and of train()'s own names."""
    return node_id + "_" if keyword.iskeyword(node_id) or node_id in RESERVED else node_id


class _TrainWriter:
    def __init__(self, part: ModelPart, plan: TrainingPlan, context_of: ContextOf):
        self.part, self.plan, self.graph = part, plan, part.graph
        self.context_of = context_of
        self.registry = catalog()
        self.settings = {**default_training(), **self.graph.training}
        self.steps = training_steps(plan)
        self.model_alone = self._model_alone()
        self.net = "model" if self.model_alone else "networks"
        # Layers inside exported blocks sit deeper in `model` (`res1.conv1`); TrainingNetworks keeps node ids.
        self.paths = module_paths(part) if self.model_alone else {}
        used = {a for s in self.steps for a in s.args}
        self.data = {name: port for name, (_, port) in plan.inputs.items() if name in used}
        self.uses_y = "y" in self.data.values()
        # the Dataset's augmentation, drawn from its own generator as the trainer draws it
        self.augmentation = Augmentation.from_params(self.graph.nodes[plan.dataset].params)

    # -- what the plan asks for -------------------------------------------------------------
    def _type(self, node_id: str):
        return self.registry.get(self.graph.nodes[node_id].type_id)

    def _model_alone(self) -> bool:
        """True when every loss compares the exported output with a Dataset output (its y, or x for an autoencoder)."""
        graph, plan, part = self.graph, self.plan, self.part
        if plan.noise or [i.name for i in part.inputs] != [input_name(graph, plan.dataset, "x")]:
            return False
        output_port = self._type(part.output).outputs[0].name
        for loss in plan.losses:
            edges = {e.dst_port: e for e in graph.edges_into(loss)}
            if (edges["prediction"].src, edges["prediction"].src_port) != (part.output, output_port):
                return False
            if edges["target"].src != plan.dataset:
                return False
        return True

    def _target(self, loss: str) -> str:
        """The batch variable a loss of the model-alone form compares the prediction with."""
        edge = next(e for e in self.graph.edges_into(loss) if e.dst_port == "target")
        return input_name(self.graph, edge.src, edge.src_port)

    def helpers(self) -> list[str]:
        codes = [self._type(n).codegen for n in self.plan.losses]
        helpers = list(dict.fromkeys(c.helper for c in codes if c.helper))
        if self.augmentation.active:  # the trainer's own function, so the same seed draws the same changes
            helpers.append(inspect.getsource(augment_batch).rstrip())
        return helpers

    # -- the file ---------------------------------------------------------------------------------
    def lines(self) -> list[str]:
        if self.model_alone:
            return self._train()
        return networks_class(self.part, self.plan, self.steps, self.context_of) + ["", ""] + self._train()

    def _train(self) -> list[str]:
        t = self.settings
        full_batch = self.plan.full_batch
        signature = (
            f"def train(model, x, {'y' if self.uses_y else 'y=None'}, x_val=None, y_val=None, epochs={t['epochs']}, "
        )
        signature += "" if full_batch else f"batch_size={t['batch_size']}, "
        signature += f"seed={t['seed']}" + ("" if self.model_alone else ", networks=None") + "):"
        out = [signature, *self._docstring()]
        out.append(f"{I1}torch.manual_seed(seed)")
        if not self.model_alone:
            out.append(f"{I1}networks = {NETWORKS}(model) if networks is None else networks")
        out.append(f"{I1}shuffle_generator = torch.Generator().manual_seed(seed)")
        if self.plan.noise:
            out.append(f"{I1}noise_generator = torch.Generator().manual_seed(seed + 1)  # the trainer's noise seed")
        if self.augmentation.active:
            out.append(
                f"{I1}augment_generator = torch.Generator().manual_seed(seed + {AUGMENT_SEED_OFFSET})"
                "  # training batches only"
            )
        if full_batch:
            out.append(f"{I1}batch_size = len(x)  # Gradient Descent: one step per epoch on the whole set")
        if self.model_alone:
            for loss in self.plan.losses:
                criterion = self._type(loss).codegen.criterion(self.graph.nodes[loss].params)
                out.append(f"{I1}{name_for(loss)}_fn = {criterion}")
        for node_id in self.plan.frozen:
            if any(node_id in s.nodes for s in self.steps):
                out.append(
                    f"{I1}{self.net}.{self.paths.get(node_id, node_id)}.requires_grad_(False)  # trainable is off in the graph"
                )
        for step in self.steps:
            names = ", ".join(f'"{self.paths.get(n, n)}"' for n in step.plan.updated)
            module = f"{self.net}.get_submodule(name)" if self.paths else f"getattr({self.net}, name)"
            out.append(
                f"{I1}{name_for(step.plan.node_id)}_parameters = [p for name in [{names}] for p in {module}.parameters()]"
            )
            out.append(
                f"{I1}{name_for(step.plan.node_id)} = {self._type(step.plan.node_id).codegen.make(step.plan.params)}".replace(
                    "(parameters", f"({name_for(step.plan.node_id)}_parameters", 1
                )
            )
            scheduler = _scheduler(t, name_for(step.plan.node_id))
            if scheduler:
                out.append(f"{I1}{name_for(step.plan.node_id)}_scheduler = {scheduler}")
        early = bool(t["early_stopping"])
        if early:
            out.append(f"{I1}best, best_epoch, best_state = float('inf'), 0, None")
        out += [
            f"{I1}history = []",
            f"{I1}for epoch in range(1, epochs + 1):",
            f"{I2}{self.net}.train()",
            f"{I2}order = torch.randperm(len(x), generator=shuffle_generator)"
            if self._shuffle()
            else f"{I2}order = torch.arange(len(x))",
            f"{I2}totals = {self._zeros()}",
            f"{I2}for start in range(0, len(x), batch_size):",
            f"{I3}index = order[start:start + batch_size]",
            *self._batch_lines(I3, "len(index)", {"x": "x[index]", "y": "y[index]"}, "noise_generator"),
            *self._augment_lines(I3),
        ]
        seen: set[str] = set()
        for step in self.steps:
            out += self._step_lines(step)
            for loss in step.plan.losses:
                if loss not in seen:  # a loss two optimizers share is reported as the first computes it
                    seen.add(loss)
                    out.append(f'{I3}totals["{loss}"] += {name_for(loss)}.item() * len(index)')
        out.append(f'{I2}row = {{"epoch": epoch}}')
        out += self._row_lines(I2, "train", "totals", "len(x)")
        out += self._validation()
        out += [f"{I2}history.append(row)", f'{I2}print(", ".join(f"{{k}} {{v:.4g}}" for k, v in row.items()))']
        out += self._end_of_epoch(early)
        out.append(f"{I1}return history")
        return out

    def _shuffle(self) -> bool:
        return bool(self.graph.nodes[self.plan.dataset].params.get("shuffle", True))

    def _zeros(self) -> str:
        return "{" + ", ".join(f'"{loss}": 0.0' for loss in self.plan.losses) + "}"

    def _row_lines(self, indent: str, prefix: str, totals: str, count: str) -> list[str]:
        """The row entries the trainer writes: `prefix_loss` (the weighted sum when several), `prefix_loss_<id>` each."""
        losses = self.plan.losses
        if len(losses) == 1:
            return [f'{indent}row["{prefix}_loss"] = {totals}["{losses[0]}"] / {count}']
        weights = {loss: w for o in self.plan.optimizers for loss, w in o.weights.items()}
        terms = [f'means["{n}"]' if weights[n] == 1.0 else f'{weights[n]!r} * means["{n}"]' for n in losses]
        return [
            f"{indent}means = {{name: total / {count} for name, total in {totals}.items()}}",
            f'{indent}row["{prefix}_loss"] = {" + ".join(terms)}  # weighted by the loss nodes\' `weight`',
            f'{indent}row.update({{f"{prefix}_loss_{{name}}": mean for name, mean in means.items()}})',
        ]

    def _batch_lines(self, indent: str, size: str, data: dict[str, str], generator: str) -> list[str]:
        """The batch's data inputs and noise, drawn as the trainer draws them."""
        out = []
        if self.data:
            names = ", ".join(self.data)
            values = ", ".join(data[port] for port in self.data.values())
            out.append(f"{indent}{names} = {values}")
        for name, (width, distribution) in self.plan.noise.items():
            if distribution == "uniform":
                out.append(f"{indent}{name} = torch.rand({size}, {width}, generator={generator}) * 2 - 1")
            else:
                out.append(f"{indent}{name} = torch.randn({size}, {width}, generator={generator})")
        return out

    def _augment_lines(self, indent: str) -> list[str]:
        if not self.augmentation.active:
            return []
        settings = ", ".join(f"{k}={v!r}" for k, v in self.augmentation.kwargs().items())
        return [
            f"{indent}{name} = augment_batch({name}, augment_generator, {settings})"
            for name, port in self.data.items()
            if port == "x"
        ]

    def _forward(self, step: TrainingStep, indent: str) -> list[str]:
        """The step's forward pass, leaving each of its losses in a variable named after the loss node."""
        losses = [name_for(n) for n in step.plan.losses]
        if not self.model_alone:
            return [f"{indent}{', '.join(losses)} = networks.{step.plan.node_id}_losses({', '.join(step.args)})"]
        out = [f"{indent}prediction = model({self.part.inputs[0].name})"]
        out += [f"{indent}{name_for(n)} = {name_for(n)}_fn(prediction, {self._target(n)})" for n in step.plan.losses]
        return out

    def _step_lines(self, step: TrainingStep) -> list[str]:
        o = step.plan
        what = ", ".join(o.losses)
        out = [
            f"{I3}# {step.plan.node_id} ({self._type(o.node_id).title}): minimizes {what}, updates {', '.join(o.updated)}"
        ]
        out += self._forward(step, I3)
        terms = [name_for(n) if o.weights[n] == 1.0 else f"{name_for(n)} * {o.weights[n]!r}" for n in o.losses]
        objective = " + ".join(terms)
        if o.l1:
            objective += f" + {o.l1!r} * sum(p.abs().sum() for p in {name_for(step.plan.node_id)}_parameters)  # L1 regularization"
        if objective != name_for(o.losses[0]):
            out.append(f"{I3}objective = {objective}")
            objective = "objective"
        out += [f"{I3}{name_for(step.plan.node_id)}.zero_grad()", f"{I3}{objective}.backward()"]
        clip = float(self.settings["grad_clip"])
        if clip > 0:
            out.append(f"{I3}nn.utils.clip_grad_norm_({name_for(step.plan.node_id)}_parameters, {clip!r})")
        out.append(f"{I3}{name_for(step.plan.node_id)}.step()")
        return out

    def _validation(self) -> list[str]:
        chunk = VAL_CHUNK
        out = [f"{I2}if x_val is not None:", f"{I3}{self.net}.eval()"]
        if self.plan.noise:
            out.append(f"{I3}val_noise_generator = torch.Generator().manual_seed(seed + 2)  # the trainer's")
        out += [
            f"{I3}val_totals = {self._zeros()}",
            f"{I3}with torch.no_grad():",
            f"{I4}for start in range(0, len(x_val), {chunk}):  # in chunks of {chunk}, as the trainer validates",
            f"{I5}stop = min(start + {chunk}, len(x_val))",
        ]
        data = {"x": "x_val[start:stop]", "y": "y_val[start:stop]"}
        out += self._batch_lines(I5, "stop - start", data, "val_noise_generator")
        if self.model_alone:  # one forward for every loss, as the trainer's validation program
            out.append(f"{I5}prediction = model({self.part.inputs[0].name})")
            out += [f"{I5}{name_for(n)} = {name_for(n)}_fn(prediction, {self._target(n)})" for n in self.plan.losses]
        else:
            done: set[str] = set()
            for step in self.steps:
                if set(step.plan.losses) - done:
                    out += self._forward(step, I5)
                    done |= set(step.plan.losses)
        out += [f'{I5}val_totals["{n}"] += {name_for(n)}.item() * (stop - start)' for n in self.plan.losses]
        out += self._row_lines(I3, "val", "val_totals", "len(x_val)")
        return out

    def _end_of_epoch(self, early: bool) -> list[str]:
        t = self.settings
        out = []
        monitor = self._monitor()
        if t["schedule"] == "plateau":
            out.append(f"{I2}monitored = {monitor}")
            out += [f"{I2}{name_for(s.plan.node_id)}_scheduler.step(monitored)" for s in self.steps]
        elif t["schedule"] != "none":
            out += [f"{I2}{name_for(s.plan.node_id)}_scheduler.step()" for s in self.steps]
        if not early:
            return out
        restore = bool(t["restore_best_weights"])
        if t["schedule"] != "plateau":
            out.append(f"{I2}monitored = {monitor}  # early stopping")
        out += [f"{I2}if monitored < best - {float(t['min_delta'])!r}:", f"{I3}best, best_epoch = monitored, epoch"]
        if restore:
            out.append(f"{I3}best_state = {{k: v.detach().clone() for k, v in {self.net}.state_dict().items()}}")
        out += [f"{I2}elif epoch - best_epoch >= {t['patience']}:", f"{I3}break"]
        if restore:
            out += [f"{I1}if best_state is not None:", f"{I2}{self.net}.load_state_dict(best_state)"]
        return out

    def _monitor(self) -> str:
        """The monitored loss from the row; accuracies are not computed here, so an accuracy monitor watches the loss."""
        name = self.settings["monitor"]
        if monitor_mode(name) == "max" or not name.startswith(("val_loss", "train_loss")):
            name = "val_loss"
        train_name = name.replace("val_", "train_", 1)
        return f'row["{train_name}"]' if name == train_name else f'row.get("{name}", row["{train_name}"])'

    def _docstring(self) -> list[str]:
        t = self.settings
        out = [
            f'{I1}"""Train `model` on tensors x, y the way the Netwright trainer trains this graph; returns one row of metrics per epoch.',
            "",
        ]
        items = []
        for step in self.steps:
            o = step.plan
            losses = " + ".join(
                (f"{o.weights[n]:g} x " if o.weights[n] != 1.0 else "") + f"{self._type(n).title} `{n}`"
                for n in o.losses
            )
            extras = f", L1 {o.l1:g}" if o.l1 else ""
            items.append(
                f"{self._type(o.node_id).title} `{o.node_id}` (lr {o.params['lr']:g}{extras}) minimizes {losses}, "
                f"updating {', '.join(o.updated)}"
            )
        if len(items) == 1:
            out.append(f"{I1}Written from the graph's training plan: {items[0]}.")
        else:
            out.append(f"{I1}Written from the graph's training plan. Each batch, one step each, in this order:")
            out += [f"{I1}- {item};" for item in items[:-1]] + [f"{I1}- {items[-1]}."]
        if self.plan.frozen:
            out.append(f"{I1}Frozen (trainable off): {', '.join(self.plan.frozen)}.")
        for name, (width, distribution) in self.plan.noise.items():
            out.append(
                f"{I1}Noise `{name}`: {width} {distribution} values per sample, drawn from seed + 1 (seed + 2 when validating)."
            )
        batches = (
            "full batch"
            if self.plan.full_batch
            else f"{'shuffled ' if self._shuffle() else ''}mini-batches of {t['batch_size']}"
        )
        summary = [f"{t['epochs']} epochs", batches, f"seed {t['seed']}"]
        if float(t["grad_clip"]):
            summary.append(f"gradient norm clipped to {float(t['grad_clip']):g}")
        if t["schedule"] != "none":
            summary.append(f"{t['schedule']} learning-rate schedule")
        if t["early_stopping"]:
            summary.append(f"early stopping on {self._monitor_name()} (patience {t['patience']})")
        out.append(f"{I1}" + ", ".join(summary) + ".")
        out.append(f"{I1}x and y must be prepared the way the Dataset node prepares them (e.g. standardized features).")
        if not self.model_alone:
            out.append(
                f"{I1}Training runs more of the graph than `model` computes: {NETWORKS} holds it, sharing the model's layers;"
            )
            out.append(f"{I1}pass `networks` to keep the other layers or to start them from given weights.")
        out.append(f'{I1}"""')
        return out

    def _monitor_name(self) -> str:
        return self._monitor().split('"')[1]


def _scheduler(t: dict[str, Any], optimizer: str) -> str:
    kind = t["schedule"]
    if kind == "step":
        return f"torch.optim.lr_scheduler.StepLR({optimizer}, step_size={t['schedule_step_size']}, gamma={t['schedule_gamma']!r})"
    if kind == "cosine":
        return f"torch.optim.lr_scheduler.CosineAnnealingLR({optimizer}, T_max=epochs)"
    if kind == "plateau":
        return (
            f"torch.optim.lr_scheduler.ReduceLROnPlateau({optimizer}, mode='min', factor={t['schedule_gamma']!r}, "
            f"patience={t['schedule_patience']})"
        )
    return ""
