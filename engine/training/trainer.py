"""The training loop: mini-batches by tensor indexing, one update per optimizer, metrics, control.

    trainer = Trainer(graph, callbacks=[MetricsWriter("m.jsonl")], checkpoint_dir="ckpt")
    result = trainer.fit()

Per-batch losses stay on the device and are converted in one go every `log_every` batches;
the only per-step host read is the finiteness check of each objective (cheap on the CPU,
one sync on CUDA), which lets a NaN stop the run before it poisons the weights.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import torch

from engine.compiler import build_modules, compile_graph
from engine.data.streaming_split import stream_batches
from engine.graph import Graph
from engine.graph.training import default_training
from engine.training import checkpoint as ckpt
from engine.training.augmentation import AUGMENT_SEED_OFFSET, Augmentation
from engine.training.callbacks import BatchEnd, BatchRows, Callback, CallbackList, TrainingEvent
from engine.training.control import TrainingControl
from engine.training.data_checks import check_finite_validation_data
from engine.training.device import check_mixed_precision, resolve_device
from engine.training.diagnostics import (
    DeadReluProbe,
    PendingBatches,
    correct_count,
    first_nonfinite_node,
)
from engine.training.errors import DivergedError, TrainingError
from engine.training.plan import TrainingPlan, make_plan
from engine.training.schedules import Monitor, make_scheduler, step_scheduler
from engine.training.settings_check import check_monitor
from engine.training.state import RunState, graph_hash
from engine.training.steps import OptimizerStep

VAL_CHUNK = 2048  # validation batch: large, since no gradients are kept
PERMUTE_BYTES = 64 * 2**20  # training sets up to this size are shuffled once per epoch, not per batch
ROWS_EVERY_S = 0.1  # per-batch rows reach callbacks at most this late (the editor streams every 0.1 s)


@dataclass
class TrainingResult:
    status: str  # completed, stopped, early_stopped
    epochs_completed: int
    history: list[dict[str, Any]]
    monitor: str
    best_epoch: int | None
    best_value: float | None
    restored_best: bool = False
    final_metrics: dict[str, Any] = field(default_factory=dict)
    # the test set's loss and accuracy, scored once with the final weights ({} without a test set)
    test_metrics: dict[str, Any] = field(default_factory=dict)


class Trainer:
    """Trains a graph. Everything that can be refused is refused here, before `fit`."""

    def __init__(
        self,
        graph: Graph,
        *,
        settings: dict[str, Any] | None = None,
        data=None,
        callbacks: Iterable[Callback] = (),
        control: TrainingControl | None = None,
        checkpoint_dir=None,
        log_every: int = 10,
        distributed=None,
    ):
        self.graph = graph
        self.settings = {**default_training(), **graph.training, **(settings or {})}
        self.callbacks = CallbackList(callbacks)
        self.control = control
        self.checkpoint_dir = checkpoint_dir
        self.log_every = max(1, int(log_every))
        self.dist = distributed
        self.plan: TrainingPlan = make_plan(graph)
        s = self.settings
        self.device = resolve_device(s["device"]) if distributed is None else distributed.device
        self.mixed_precision = check_mixed_precision(bool(s["mixed_precision"]), self.device)
        self.seed = int(s["seed"])
        self.epochs = int(s["epochs"])
        torch.manual_seed(self.seed)
        if data is None:
            from engine.data import load_dataset

            # Resolved like validation resolves it: relative paths beside the graph file, not the cwd.
            data = load_dataset(graph.resolved_params(self.plan.dataset), self.seed)
        check_finite_validation_data(data, self.plan.dataset)
        self.data = data
        self._tensors("train", data.train_x, data.train_y)
        self._tensors("val", data.val_x, data.val_y)
        self.num_test = len(data.test_x) if getattr(data, "test_x", None) is not None else 0
        self.test_metrics: dict[str, Any] = {}
        if self.num_test:
            self._tensors("test", data.test_x, data.test_y)
        self.num_train = self.shard_size = len(data.train_x)
        if distributed is not None:
            self.shard_size = distributed.shard_size(self.num_train)
        if self.num_train == 0:
            raise TrainingError("the dataset has no training samples")
        self.batch_size = self.shard_size if self.plan.full_batch else min(int(s["batch_size"]), self.shard_size)
        self.batches_per_epoch = -(-self.shard_size // self.batch_size)
        self.modules = build_modules(graph, self.plan.analysis).to(self.device)
        for node_id in self.plan.frozen:
            self.modules.get_submodule(node_id).requires_grad_(False)
        self.steps = [self._make_step(o) for o in self.plan.optimizers]
        # Where each of the plan's losses and accuracies sits among those one batch yields.
        step_losses = [loss for step in self.steps for loss in step.losses]
        step_accuracy = [a.loss for step in self.steps for a in step.accuracy]
        self._loss_slots = [step_losses.index(loss) for loss in self.plan.losses]
        self._acc_slots = [(step_accuracy.index(a.loss), a) for a in self.plan.accuracy]
        self._acc_ids = [a.loss for a in self.plan.accuracy]
        weights = {loss: w for o in self.plan.optimizers for loss, w in o.weights.items()}
        self._loss_weights = [weights[loss] for loss in self.plan.losses]
        # The validation forward also returns the activations whose units can die: the dead-unit probe
        # reads them there, without forward hooks (registering, calling through and removing them
        # cost ~80 us an epoch on the digits MLP, a tenth of our own per-epoch work).
        evaluated = list(dict.fromkeys(self.plan.outputs_of(None) + self.plan.relus))
        self.eval_program = compile_graph(graph, evaluated, self.plan.analysis, self.modules)
        self.eval_args = [n.target for n in self.eval_program.graph.nodes if n.op == "placeholder"]
        self.sources = {name: node for name, (node, _) in self.plan.inputs.items()}
        self.sources.update({name: name for name in self.plan.noise})
        self.monitor = Monitor(s["monitor"], float(s["min_delta"]))
        self._check_monitor()
        self.shuffle_gen = torch.Generator().manual_seed(self.seed)
        rank = 0 if distributed is None else distributed.rank
        if rank:  # same initial weights everywhere (built above), but each process its own dropout and noise
            torch.manual_seed(self.seed + rank)
        self.noise_gen = torch.Generator(device=self.device).manual_seed(self.seed + 1 + 1000 * rank)
        self.augmentation = Augmentation.from_params(graph.nodes[self.plan.dataset].params)
        self.augment_gen = torch.Generator(device=self.device).manual_seed(
            self.seed + AUGMENT_SEED_OFFSET + 1000 * rank
        )
        self._augmented = [name for name, (_, port) in self.plan.inputs.items() if port == "x"]
        self.shuffle = bool(graph.nodes[self.plan.dataset].params.get("shuffle", True))
        self.history: list[dict[str, Any]] = []
        self._pending = PendingBatches(self._loss_slots, self._acc_slots)  # the current epoch's, see _train_epoch
        self._sums: dict[str, list] = {"loss": [], "correct": []}
        self._held_rows: list[dict[str, Any]] = []  # delivered rows the next on_batch_end has not had yet
        self._listening = self._reading = False  # whether callbacks read on_batch_end, on_batch_rows
        self._undelivered = [0, 0]  # batches and samples flushed since the last delivery
        # Nodes whose outputs on the validation set a callback reads after each epoch (Insights'
        # confusion matrix): kept from the validation pass in `val_outputs`, not computed twice.
        self.keep_val_outputs: set[str] = set()
        self.val_outputs: dict[str, torch.Tensor] = {}
        self.start_epoch = 0
        self.step_count = 0
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.lr_changes: list[dict[str, Any]] = []
        self.graph_hash = graph_hash(graph, self.settings)

    # -- setup ----------------------------------------------------------------------------------
    def _tensors(self, split: str, x: torch.Tensor, y: torch.Tensor) -> None:
        batch = {}
        for name, (_, port) in self.plan.inputs.items():
            batch[name] = (x if port == "x" else y).to(self.device)
        setattr(self, f"{split}_inputs", batch)

    def _make_step(self, plan) -> OptimizerStep:
        from engine.nodes.optimizers import make_torch_optimizer

        params = [p for node_id in plan.updated for p in self.modules.get_submodule(node_id).parameters()]
        if not params:  # the plan refuses frozen scopes; this is a scope of layers without parameters
            raise TrainingError(
                f"optimizer `{plan.node_id}` has nothing to train: no parameters in {', '.join(plan.scope)}"
            )
        optimizer = make_torch_optimizer(plan.type_id, plan.params, params, fused=True)
        program = compile_graph(self.graph, self.plan.outputs_of(plan), self.plan.analysis, self.modules)
        runner = program if self.dist is None else self.dist.wrap(program, params)
        scaler = torch.amp.GradScaler("cuda") if self.mixed_precision else None
        step = OptimizerStep(
            plan,
            program,
            runner,
            self.modules,
            optimizer,
            make_scheduler(self.settings, optimizer),
            scaler,
            float(self.settings["grad_clip"]),
            self.mixed_precision,
            self.device,
        )
        step.accuracy = [a for a in self.plan.accuracy if a.loss in plan.losses]
        return step

    def _check_monitor(self) -> None:
        check_monitor(self.settings, self.plan, has_val=len(self.data.val_x) > 0)

    # -- the run --------------------------------------------------------------------------------
    def fit(self, resume: bool = False) -> TrainingResult:
        """Train to `epochs`; with resume, continue from the last checkpoint in checkpoint_dir."""
        if resume:
            self._restore()
        self.callbacks.on_train_start(self)
        try:
            status = self._run_epochs()
            restored = self._finish()
            test = self._test()
        except BaseException as exc:
            self.callbacks.on_exception(self, exc)
            raise
        final = (
            dict(self.history[self.monitor.best_epoch - 1])
            if restored
            else dict(self.history[-1] if self.history else {})
        )
        result = TrainingResult(
            status,
            len(self.history),
            self.history,
            self.monitor.name,
            self.monitor.best_epoch or None,
            None if not self.monitor.best_epoch else self.monitor.best,
            restored,
            final,
            test,
        )
        self.callbacks.on_train_end(self, result)
        return result

    def _run_epochs(self) -> str:
        early = bool(self.settings["early_stopping"])
        for epoch in range(self.start_epoch + 1, self.epochs + 1):
            self.callbacks.on_epoch_start(self, epoch)
            row = self._train_epoch(epoch)
            if row is None:
                return "stopped"
            row.update(self._validate())
            self._check_validation(epoch, row)
            improved = self._end_epoch(epoch, row)
            if early and not improved and self.monitor.wait >= int(self.settings["patience"]):
                self._event("early_stopped", epoch, best_epoch=self.monitor.best_epoch, best=self.monitor.best)
                return "early_stopped"
        return "completed"

    def _train_epoch(self, epoch: int) -> dict[str, Any] | None:
        self.modules.train()
        started = time.perf_counter()
        order = self._order(epoch)
        b, steps, control = self.batch_size, self.steps, self.control
        inputs = self.train_inputs
        stream = stream_batches(inputs, order, b)  # a streamed image folder: batches decoded by DataLoader workers
        permuted = stream is None and sum(t.nbytes for t in inputs.values()) <= PERMUTE_BYTES
        if permuted:  # one gather per epoch, split into its batches (views) in one call: no slicing a step
            batches = {name: t.index_select(0, order).split(b) for name, t in inputs.items()}
        noise, last, log_every = bool(self.plan.noise), self.batches_per_epoch - 1, self.log_every
        augment = self.augmentation.active
        pending = PendingBatches(self._loss_slots, self._acc_slots)
        sums = {"loss": [0.0] * len(self.plan.losses), "correct": [0] * len(self.plan.accuracy)}
        grad_samples: list[list[torch.Tensor]] = [[] for _ in steps]
        self.lr_changes = []
        listening = self._listening = self.callbacks.wants("on_batch_end")
        self._reading = self.callbacks.wants("on_batch_rows")
        no_rows: list[dict[str, Any]] = []
        delivered = time.perf_counter()
        first_epoch = epoch == self.start_epoch + 1  # the run's first batch is delivered at once
        n = len(order)
        self._pending, self._sums, self._held_rows = pending, sums, []  # for _poll's lr changes
        for index in range(self.batches_per_epoch):
            if control is not None and not self._poll(epoch, index):
                return None
            lo, hi = index * b, (index + 1) * b
            if stream is not None:
                batch = next(stream)
            elif permuted:
                batch = {name: parts[index] for name, parts in batches.items()}
            else:
                idx = order[lo:hi]
                batch = {name: t.index_select(0, idx) for name, t in inputs.items()}
            size = (hi if hi < n else n) - lo if stream is None else len(next(iter(batch.values())))
            if noise:
                self._add_noise(batch, size, self.noise_gen)
            if augment:
                for name in self._augmented:
                    batch[name] = self.augmentation.apply(batch[name], self.augment_gen)
            self.step_count += 1
            sample = self.step_count % log_every == 0 or index == last
            for k, step in enumerate(steps):
                out, norms, finite = step.step(batch, sample)
                if not finite:
                    self._diverged(step, batch, epoch)
                if norms is not None:
                    grad_samples[k].append(norms)
                pending.add(step, out, batch)
            pending.end_batch(self.step_count, size)
            # Rows go out on a log_every boundary once ROWS_EVERY_S has passed (and at the epoch's
            # end): the same rows, converted in fewer, larger transfers when steps are fast.
            if (
                sample
                and (index == last or time.perf_counter() - delivered >= ROWS_EVERY_S)
                or (index == 0 and first_epoch)
            ):
                self._deliver(epoch, index, self._flush(pending, sums, epoch))
                delivered = time.perf_counter()
            if listening:
                rows = no_rows
                if self._held_rows:  # delivered since the last batch end
                    rows, self._held_rows = self._held_rows, []
                self.callbacks.on_batch_end(self, BatchEnd(epoch, index, self.step_count, size, rows))
        seconds = time.perf_counter() - started
        row = self._epoch_row(epoch, sums, seconds)
        row["grad_norm"] = {}
        for step, samples in zip(steps, grad_samples, strict=True):
            norms, silent = step.norms_and_silence(samples)
            for layer, value in norms.items():
                row["grad_norm"].setdefault(layer, value)
            if silent:  # steps a satisfied loss gave no gradient (engine/training/health.py: not vanishing)
                row.setdefault("grad_silent", {}).update({layer: silent for layer in norms})
        return row

    def _order(self, epoch: int) -> torch.Tensor:
        n = self.num_train
        order = torch.randperm(n, generator=self.shuffle_gen) if self.shuffle else torch.arange(n)
        if self.dist is not None:
            order = self.dist.shard(order)
        return order.to(self.device)

    def _add_noise(self, batch: dict[str, torch.Tensor], size: int, generator: torch.Generator) -> None:
        for name, (width, distribution) in self.plan.noise.items():
            if distribution == "uniform":
                batch[name] = torch.rand(size, width, generator=generator, device=self.device) * 2 - 1
            else:
                batch[name] = torch.randn(size, width, generator=generator, device=self.device)

    def _flush(self, pending: PendingBatches, sums, epoch: int) -> list[dict[str, Any]]:
        """The pending batches' losses and correct counts, to floats in one transfer; their rows."""
        batches = list(pending.steps)
        table = pending.take()
        self._undelivered[0] += len(batches)
        self._undelivered[1] += sum(size for _, size in batches)
        nl = len(self.plan.losses)
        loss_sums, correct_sums = sums["loss"], sums["correct"]
        if not (self._listening or self._reading):  # no callback reads rows: only the epoch's sums
            for (_, size), numbers in zip(batches, table, strict=True):
                for k in range(nl):
                    loss_sums[k] += numbers[k] * size
                for k, c in enumerate(numbers[nl:]):
                    correct_sums[k] += c
            return []
        lrs = self._named("lr", [s.node_id for s in self.steps], [s.lr for s in self.steps])
        if nl == 1 and len(self._acc_ids) <= 1:  # the common case, without the general path's per-row calls
            rows = []
            for (step_no, size), numbers in zip(batches, table, strict=True):
                row: dict[str, Any] = {"epoch": epoch, "step": step_no, "loss": numbers[0]}
                loss_sums[0] += numbers[0] * size
                if len(numbers) > 1:
                    row["acc"] = numbers[1] / size
                    correct_sums[0] += numbers[1]
                row.update(lrs)
                rows.append(row)
            return rows
        rows = []
        for (step_no, size), numbers in zip(batches, table, strict=True):
            values, correct = numbers[:nl], numbers[nl:]
            row = {"epoch": epoch, "step": step_no}
            row.update(self._named("loss", self.plan.losses, values, total=self._weighted(values)))
            if correct:
                row.update(self._named("acc", self._acc_ids, [c / size for c in correct]))
            row.update(lrs)
            rows.append(row)
            for k, v in enumerate(values):
                loss_sums[k] += v * size
            for k, c in enumerate(correct):
                correct_sums[k] += c
        return rows

    def _weighted(self, values: list[float]) -> float:
        return sum(w * v for w, v in zip(self._loss_weights, values, strict=True))

    def _named(self, key: str, ids: list[str], values: list[float], total: float | None = None) -> dict[str, Any]:
        """`key` for the only value (or the first, or `total` when given), plus `key_<node id>` each when several."""
        named = {key: values[0] if total is None or len(ids) == 1 else total}
        if len(ids) > 1:
            named.update({f"{key}_{node_id}": v for node_id, v in zip(ids, values, strict=True)})
        return named

    def _epoch_row(self, epoch: int, sums, seconds: float) -> dict[str, Any]:
        n = self.shard_size
        loss_sums, correct = sums["loss"], sums["correct"]
        if self.dist is not None:
            loss_sums, correct, n = self.dist.sum_metrics(loss_sums, correct, n)
        losses = [v / n for v in loss_sums]
        row: dict[str, Any] = {"epoch": epoch, "step": self.step_count}
        row.update(self._named("train_loss", self.plan.losses, losses, total=self._weighted(losses)))
        if self.plan.accuracy:
            row.update(self._named("train_acc", [a.loss for a in self.plan.accuracy], [c / n for c in correct]))
        row.update(self._named("lr", [s.node_id for s in self.steps], [s.lr for s in self.steps]))
        row["samples_per_s"] = n / seconds if seconds > 0 else 0.0
        row["epoch_time"] = seconds
        if self.lr_changes:
            row["lr_changes"] = list(self.lr_changes)
        return row

    @torch.no_grad()
    def _validate(self) -> dict[str, Any]:
        return self._evaluate("val", len(self.data.val_x))

    def _test(self) -> dict[str, Any]:
        """The test set, scored once after training with the weights the run ends with."""
        if not self.num_test:
            return {}
        with torch.no_grad():
            row = self._evaluate("test", self.num_test)
        row.pop("dead_relu", None)
        self.test_metrics = {**row, "test_samples": self.num_test}
        return self.test_metrics

    def _evaluate(self, split: str, n: int) -> dict[str, Any]:
        if n == 0:
            return {}
        inputs = getattr(self, f"{split}_inputs")
        self.modules.eval()
        probe, relu_ids = DeadReluProbe(), self.plan.relus if split == "val" else []
        generator = torch.Generator(device=self.device).manual_seed(self.seed + 2) if self.plan.noise else None
        loss_ids, accuracy = self.plan.losses, self.plan.accuracy
        read: list[torch.Tensor] = []  # per chunk its losses, then its correct counts (0-dim, on the device)
        sizes: list[int] = []
        kept: dict[str, list[torch.Tensor]] = {node: [] for node in self.keep_val_outputs} if split == "val" else {}
        for start in range(0, n, VAL_CHUNK):
            batch = {name: t[start : start + VAL_CHUNK] for name, t in inputs.items()}
            size = min(VAL_CHUNK, n - start)
            self._add_noise(batch, size, generator)
            out = self.eval_program(**{name: batch[name] for name in self.eval_args})
            for node, chunks in kept.items():
                chunks.append(out[node])
            for node in relu_ids:
                probe.observe(node, out[node])
            read += [out[loss].float() for loss in loss_ids]
            read += [correct_count(a, out[a.prediction], batch[a.target]) for a in accuracy]
            sizes.append(size)
        relus, alive = probe.alive_counts()
        # One stack and one transfer. Counts stay exact in it: at most VAL_CHUNK correct a chunk, and
        # a float32 holds every integer up to 2**24 (units of one activation, for the alive counts).
        numbers = torch.stack(read + alive).tolist()
        if kept:
            self.val_outputs = {node: c[0] if len(c) == 1 else torch.cat(c) for node, c in kept.items()}
        nl, width = len(loss_ids), len(loss_ids) + len(accuracy)
        loss_sums, correct = [0.0] * nl, [0.0] * len(accuracy)
        for chunk, size in enumerate(sizes):  # summed on the host, in double precision
            values = numbers[chunk * width : (chunk + 1) * width]
            for k in range(nl):
                loss_sums[k] += values[k] * size
            for k in range(len(accuracy)):
                correct[k] += values[nl + k]
        dead = dict(zip(relus, probe.to_fractions(numbers[len(sizes) * width :]), strict=True))
        losses = [v / n for v in loss_sums]
        row = self._named(f"{split}_loss", self.plan.losses, losses, total=self._weighted(losses))
        if self.plan.accuracy:
            row.update(self._named(f"{split}_acc", [a.loss for a in self.plan.accuracy], [c / n for c in correct]))
        row["dead_relu"] = dead
        return row

    def _end_epoch(self, epoch: int, row: dict[str, Any]) -> bool:
        value = row.get(self.monitor.name)
        improved = value is not None and self.monitor.update(float(value), epoch)
        for step in self.steps:
            step_scheduler(step.scheduler, value)
        self.history.append(row)
        is_writer = self.dist is None or self.dist.is_main
        if improved and bool(self.settings["early_stopping"]) and bool(self.settings["restore_best_weights"]):
            self.best_weights = {k: v.detach().clone() for k, v in self.modules.state_dict().items()}
        if self.checkpoint_dir is not None and is_writer:
            state = RunState.capture(self)
            ckpt.save_checkpoint(self._ckpt("last"), self.modules, state)
            if improved:
                ckpt.save_checkpoint(self._ckpt("best"), self.modules, state)
        self.callbacks.on_epoch_end(self, epoch, row)
        return improved

    def _finish(self) -> bool:
        """Restore the best weights where early stopping asks for them; True if it did."""
        s = self.settings
        if s["early_stopping"] and s["restore_best_weights"] and self.best_weights is not None:
            self.modules.load_state_dict(self.best_weights)
            return True
        return False

    # -- control, divergence, checkpoints ---------------------------------------------------------
    def _poll(self, epoch: int, index: int) -> bool:
        """Before batch `index`: wait while paused, apply lr changes; False when asked to stop.

        The rows of the batches trained so far are delivered first, so they keep the rate they
        trained with, and the plots are up to date while paused or once stopped.
        """
        control = self.control
        if control.paused and not control.stopped:
            self._deliver_pending(epoch, index)
            self._event("paused", epoch)
            control.wait_while_paused()
            if not control.stopped:
                self._event("resumed", epoch)
        for change in control.pending_changes():
            self._deliver_pending(epoch, index)
            for step in self.steps:
                if change.optimizer in (None, step.node_id):
                    record = {"step": self.step_count, "optimizer": step.node_id, "from": step.lr, "to": change.lr}
                    step.set_lr(change.lr)
                    self.lr_changes.append(record)
                    self._event("lr_changed", epoch, **record)
        if control.stopped:
            self._deliver_pending(epoch, index)
            self._event("stop_requested", epoch)
            return False
        return True

    def _deliver_pending(self, epoch: int, index: int) -> None:
        """Deliver the rows of the batches trained since the last delivery (those before batch `index`)."""
        if self._pending.steps:
            self._deliver(epoch, index - 1, self._flush(self._pending, self._sums, epoch))

    def _deliver(self, epoch: int, index: int, rows: list[dict[str, Any]]) -> None:
        """Hand flushed rows to on_batch_rows now, and to the next on_batch_end."""
        batches, samples = self._undelivered
        self._undelivered = [0, 0]
        if self._reading:
            self.callbacks.on_batch_rows(self, BatchRows(epoch, index, self.step_count, batches, samples, rows))
        if self._listening:
            self._held_rows += rows

    def _event(self, kind: str, epoch: int, **data: Any) -> None:
        self.callbacks.on_event(self, TrainingEvent(kind, epoch, self.step_count, data))

    def _check_validation(self, epoch: int, row: dict[str, Any]) -> None:
        """A NaN validation loss ends the run as diverged: it could never improve, so no best checkpoint."""
        bad = [k for k, v in row.items() if k.startswith("val_loss") and not math.isfinite(v)]
        if not bad:
            return
        node_id, why = self._first_nonfinite_in_validation()
        title = self.graph.nodes[node_id].type_id.rsplit(".", 1)[-1] if node_id else ""
        where = f": the output of {title} `{node_id}` became NaN or infinite ({why})" if node_id else ""
        raise DivergedError(
            f"validation diverged at epoch {epoch}: {bad[0]} is {row[bad[0]]} while training stayed finite{where}",
            node_id,
            epoch,
            self.step_count,
        )

    @torch.no_grad()
    def _first_nonfinite_in_validation(self) -> tuple[str | None, str]:
        """The first node whose output is NaN or infinite on some validation chunk, as `_diverged` finds it."""
        self.modules.eval()
        generator = torch.Generator(device=self.device).manual_seed(self.seed + 2) if self.plan.noise else None
        n = len(self.data.val_x)
        for start in range(0, n, VAL_CHUNK):
            batch = {name: t[start : start + VAL_CHUNK] for name, t in self.val_inputs.items()}
            self._add_noise(batch, min(VAL_CHUNK, n - start), generator)
            args = {name: batch[name] for name in self.eval_args}
            found = first_nonfinite_node(self.eval_program, self.modules, args, self.plan.analysis.order, self.sources)
            if found[0] is not None:
                return found
        return None, ""

    def _diverged(self, step: OptimizerStep, batch: dict[str, torch.Tensor], epoch: int) -> None:
        node_id, why = first_nonfinite_node(
            step.program, self.modules, {n: batch[n] for n in step.args}, self.plan.analysis.order, self.sources
        )
        where = f"epoch {epoch}, step {self.step_count}"
        if node_id is None:
            message = f"the objective of optimizer `{step.node_id}` became NaN or infinite at {where}"
        else:
            title = self.graph.nodes[node_id].type_id.rsplit(".", 1)[-1]
            message = f"training diverged at {where}: the output of {title} `{node_id}` became NaN or infinite ({why})"
        raise DivergedError(message, node_id, epoch, self.step_count)

    def _ckpt(self, which: str):
        from pathlib import Path

        return Path(self.checkpoint_dir) / which

    def _restore(self) -> None:
        if self.checkpoint_dir is None:
            raise TrainingError("cannot resume: no checkpoint folder was given")
        state = ckpt.load_checkpoint(self._ckpt("last"), self.modules)
        RunState.restore(self, state)
        best = self._ckpt("best") / ckpt.WEIGHTS
        if self.settings["early_stopping"] and self.settings["restore_best_weights"] and best.is_file():
            from safetensors.torch import load_file

            self.best_weights = {k: v.to(self.device) for k, v in load_file(str(best)).items()}
