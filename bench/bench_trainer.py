"""Netwright's Trainer vs a hand-written PyTorch loop vs scikit-learn's MLPClassifier on digits.

    python bench/bench_trainer.py                 # 1 torch thread, 9 interleaved repeats, 30 epochs
    python bench/bench_trainer.py --threads 2 --repeats 9

The model is `resources/examples/mlp_digits.json` without its Dropout node (scikit-learn's
MLP has none): 64 -> Linear 128 -> ReLU -> Linear 10, cross-entropy, Adam lr 1e-3, batch 32,
seed 0, no weight decay. All train on the same tensors: the trainer's own split from
`engine.data.load_dataset` (stratified 80/20, seed 0), handed to each contender.

- Trainer: `Trainer(graph, data=data).fit()` through the public API (its Adam updates call torch's
  fused kernel directly, `engine.training.steps.DirectFusedAdam`; "trainer, torch step" is the
  same run with that path off, every update through `optimizer.step()`: the fallback), default metrics
  (per-batch loss rows every `log_every` batches, train accuracy, per-layer gradient norms,
  dead-ReLU fractions, NaN detection), no progress bar. One callback notes the time at the
  end of each epoch.
- Hand-written: `nn.Sequential`, an index-shuffled epoch (`torch.randperm` from a generator
  seeded like the trainer's), `model(x)`, `CrossEntropyLoss`, `torch.optim.Adam` with its
  defaults, `zero_grad()/backward()/step()`, validation accuracy after every epoch. Same
  initial weights and batch order as the trainer, so both should reach the same accuracies.
- hand-fused: the same hand-written loop with `torch.optim.Adam(..., fused=True)`, the optimizer
  the trainer uses: the real limit for a loop with this structure (headline: trainer / hand-fused).
- lean torch (a reference, not a target): the hand-written loop with fused Adam, grads set to
  None, the epoch gathered once and sliced, and no metrics but validation accuracy.
- lean, direct kernel: the lean loop with each update through `DirectFusedAdam`, as the trainer
  does (the issue's "lean loop"; target trainer / this <= 1.05).
- lean, engine backward: the same with each `loss.backward()` replaced by the trainer's direct call
  into autograd's engine (`engine.training.steps.engine_backward`): the floor with both of the
  trainer's shortcuts, so trainer / this is everything the trainer does beyond the bare step
  (metrics, probes, the loop), which the shortcuts do not hide.
- lean, same metrics: the engine-backward loop computing by hand, as leanly as we could, what the
  trainer shows (per-batch loss and correct count, train loss and accuracy, gradient norms every 10
  steps, validation loss and accuracy, dead ReLU units): trainer / this is our own work beyond the
  metrics; this / "lean, engine backward" is what the metrics themselves cost.
- trainer, rows read: the trainer with a callback that reads every per-batch row through
  `on_batch_rows` (the way the editor's event stream and metrics files read them).
- scikit-learn: `MLPClassifier(hidden_layer_sizes=(128,), solver="adam", alpha=0,
  learning_rate_init=1e-3, batch_size=32)`, `partial_fit` one epoch at a time (which keeps
  Adam's state; `warm_start` + `fit` would restart it every epoch), `score` on the
  validation set after every epoch.
- Lightning (PyTorch Lightning 2.x, the `bench` extra: `pip install -e ".[bench]"`; skipped with a
  note when it is not installed): a `LightningModule` around the same `nn.Sequential` (same initial
  weights), `training_step` returning the loss, `configure_optimizers` returning
  `torch.optim.Adam(..., fused=True)`, validation accuracy each epoch in `validation_step`;
  `lightning.Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
  enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0, log_every_n_steps=0,
  barebones=True)` (barebones: Lightning's mode "for analyzing the Trainer overhead"). Its DataLoaders
  over `TensorDataset`s fetch each batch with one gather (`batch_size=None` over a sampler of index
  batches from the same `torch.randperm` generator: the hand loop's batch order): the strongest
  Lightning setup. "Lightning, per-sample loader" is the textbook
  `DataLoader(TensorDataset, batch_size=32, shuffle=True)`, which collates 32 single samples a batch
  (its batch order matches the others' only in the first epoch): a reference.

Each repeat runs them in a rotating order (interleaved), so a busy machine slows them
alike; the figures are medians over the repeats, with min-max spread. Time counts training and
the per-epoch validation, not building the model or loading the data. It is this process's CPU
time by default (`--clock cpu`): on a machine whose cores other jobs share, wall-clock time
measures the neighbours as much as the code (`--clock wall` for a quiet machine).
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import math
import os
import statistics
import sys
import time
import warnings
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402
from torch import nn  # noqa: E402

from engine.data import load_dataset  # noqa: E402
from engine.graph import Graph, load_graph  # noqa: E402
from engine.training import Callback, Trainer  # noqa: E402
from engine.training.steps import DirectFusedAdam, engine_backward  # noqa: E402

EXAMPLE = ROOT / "resources" / "examples" / "mlp_digits.json"
TARGET_ACC = 0.97
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]
SEED = 0
BATCH = 32
LR = 1e-3


def bench_graph(epochs: int) -> Graph:
    """The digits MLP example without dropout: 64-128-10, Adam 1e-3, batch 32, on the CPU."""
    graph = load_graph(EXAMPLE)
    graph.remove_node("drop1")
    graph.connect("relu1", "out", "fc2", "in")
    graph.training.update(epochs=epochs, batch_size=BATCH, seed=SEED, device="cpu")
    assert graph.nodes["adam"].params["lr"] == LR and graph.nodes["fc1"].params["out_features"] == 128
    return graph


class EpochClock(Callback):
    """Seconds since `start` and validation accuracy at the end of every epoch."""

    def __init__(self):
        self.start = 0.0
        self.times: list[float] = []
        self.accs: list[float] = []

    def on_epoch_end(self, trainer, epoch, metrics):
        self.times.append(clock() - self.start)
        self.accs.append(metrics["val_acc"])


class RowReader(Callback):
    """Reads every batch row as it is delivered, as the editor's event stream and metrics files do."""

    def __init__(self):
        self.rows = 0

    def on_batch_rows(self, trainer, rows):
        self.rows += len(rows.rows)


def run_trainer(graph: Graph, data, direct: bool = True, rows: bool = False) -> tuple[list[float], list[float]]:
    """The trainer; `direct=False` is its fallback: every update through torch's `optimizer.step()`.

    With `rows`, a callback reads the per-batch rows (the metrics the editor shows, built and delivered).
    """
    epochs = EpochClock()
    callbacks = [epochs, RowReader()] if rows else [epochs]
    if direct:
        trainer = Trainer(graph, data=data, callbacks=callbacks)
    else:
        with mock.patch.object(DirectFusedAdam, "supports", return_value=False):
            trainer = Trainer(graph, data=data, callbacks=callbacks)
    epochs.start = clock()
    trainer.fit()
    return epochs.times, epochs.accs


def run_handwritten(data, epochs: int, fused: bool = False) -> tuple[list[float], list[float]]:
    """The idiomatic loop; with `fused`, torch's single-kernel Adam (what the trainer uses: the real limit)."""
    torch.manual_seed(SEED)  # the trainer seeds the same way before building its layers
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, fused=fused or None)
    generator = torch.Generator().manual_seed(SEED)
    x, y, vx, vy = data.train_x, data.train_y, data.val_x, data.val_y
    n = len(x)
    times, accs = [], []
    start = clock()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n, generator=generator)
        for i in range(0, n, BATCH):
            idx = order[i : i + BATCH]
            loss = loss_fn(model(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            acc = (model(vx).argmax(1) == vy).float().mean().item()
        times.append(clock() - start)
        accs.append(acc)
    return times, accs


def run_lean(data, epochs: int, direct: bool = False, engine: bool = False) -> tuple[list[float], list[float]]:
    """The hand-written loop at its leanest: fused Adam, grads set to None, no metrics but val accuracy.

    With `direct`, each update calls the fused kernel the way the trainer does (`DirectFusedAdam`);
    with `engine` too, each backward goes straight into autograd's engine as the trainer's does.
    """
    torch.manual_seed(SEED)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    loss_fn = nn.CrossEntropyLoss()
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=LR, fused=True)
    update = DirectFusedAdam(optimizer).step if direct else optimizer.step
    backward = engine_backward(torch.device("cpu")) if engine else torch.Tensor.backward
    generator = torch.Generator().manual_seed(SEED)
    x, y, vx, vy = data.train_x, data.train_y, data.val_x, data.val_y
    n = len(x)
    times, accs = [], []
    start = clock()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n, generator=generator)
        sx, sy = x[order], y[order]
        for i in range(0, n, BATCH):
            loss = loss_fn(model(sx[i : i + BATCH]), sy[i : i + BATCH])
            for p in params:
                p.grad = None
            backward(loss)
            update()
        model.eval()
        with torch.no_grad():
            acc = (model(vx).argmax(1) == vy).float().mean().item()
        times.append(clock() - start)
        accs.append(acc)
    return times, accs


def run_lean_metrics(data, epochs: int) -> tuple[list[float], list[float]]:
    """The lean engine-backward loop computing what the trainer shows, written by hand as leanly as we could.

    Per batch: its loss (read by the NaN check, which stops before the update) and its correct
    count (predictions kept and counted once an epoch); per epoch: train loss and accuracy,
    per-layer gradient norms sampled every 10 steps (one `_foreach_norm`), validation loss and
    accuracy, and each ReLU unit's largest |output| (dead units). trainer / this is our own work
    (the loop, rows, callbacks); this / "lean, engine backward" is what the metrics themselves cost.
    """
    torch.manual_seed(SEED)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    loss_fn = nn.CrossEntropyLoss()
    params = list(model.parameters())
    update = DirectFusedAdam(torch.optim.Adam(params, lr=LR, fused=True)).step
    backward = engine_backward(torch.device("cpu"))
    generator = torch.Generator().manual_seed(SEED)
    x, y, vx, vy = data.train_x, data.train_y, data.val_x, data.val_y
    n, step = len(x), 0
    times, accs = [], []
    start = clock()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n, generator=generator)
        sx, sy = x[order], y[order]
        losses, predictions, norms = [], [], []
        for i in range(0, n, BATCH):
            logits = model(sx[i : i + BATCH])
            loss = loss_fn(logits, sy[i : i + BATCH])
            value = loss.item()
            if not math.isfinite(value):
                raise RuntimeError("diverged")
            for p in params:
                p.grad = None
            backward(loss)
            step += 1
            if step % 10 == 0 or i + BATCH >= n:
                norms.append(torch._foreach_norm([p.grad for p in params]))
            update()
            losses.append(value)
            predictions.append(logits)
        with torch.no_grad():
            hits = torch.cat(predictions).max(1).indices == sy
            cut = (len(losses) - 1) * BATCH  # per-batch counts: the full batches at once, then the last
            correct = torch.cat([hits[:cut].view(-1, BATCH).sum(1), hits[cut:].sum().reshape(1)]).tolist()
            sizes = [min(BATCH, n - i) for i in range(0, n, BATCH)]
            train_loss = sum(v * s for v, s in zip(losses, sizes, strict=True)) / n
            train_acc = sum(correct) / n
            squares = [
                [v * v for v in row]
                for row in torch.stack([t for row in norms for t in row]).view(len(norms), -1).tolist()
            ]
            grad_norms = [math.sqrt(sum(row[k] + row[k + 1] for row in squares) / len(squares)) for k in (0, 2)]
            model.eval()
            hidden = model[1](model[0](vx))
            logits = model[2](hidden)
            numbers = torch.stack(
                [loss_fn(logits, vy), (logits.max(1).indices == vy).sum(), torch.count_nonzero(hidden.abs().amax(0))]
            ).tolist()
        accs.append(numbers[1] / len(vx))
        times.append(clock() - start)
        assert train_loss > 0 and train_acc >= 0 and grad_norms and numbers[2] >= 0
    return times, accs


def run_sklearn(data, epochs: int) -> tuple[list[float], list[float]]:
    from sklearn.neural_network import MLPClassifier

    x, y = data.train_x.numpy(), data.train_y.numpy()
    vx, vy = data.val_x.numpy(), data.val_y.numpy()
    classes = np.unique(y)
    clf = MLPClassifier(
        hidden_layer_sizes=(128,),
        activation="relu",
        solver="adam",
        alpha=0.0,
        learning_rate_init=LR,
        batch_size=BATCH,
        shuffle=True,
        random_state=SEED,
    )
    times, accs = [], []
    start = clock()
    for _ in range(epochs):
        clf.partial_fit(x, y, classes=classes)
        accs.append(float(clf.score(vx, vy)))
        times.append(clock() - start)
    return times, accs


def lightning_installed() -> bool:
    """Lightning is a bench-only dependency (the `bench` extra); without it its contenders are skipped."""
    return importlib.util.find_spec("lightning") is not None


class EpochBatches(torch.utils.data.Sampler):
    """An epoch's batches as index tensors, from `torch.randperm(n, generator)` as the hand loop draws them.

    A `DataLoader(dataset, sampler=this, batch_size=None)` hands each index batch to the dataset, so a
    `TensorDataset` gathers a whole batch in one indexing per tensor (no per-sample collate). Without a
    generator, the rows in order (validation).
    """

    def __init__(self, n: int, batch: int, generator: torch.Generator | None = None):
        self.n, self.batch, self.generator = n, batch, generator

    def __iter__(self):
        order = torch.arange(self.n) if self.generator is None else torch.randperm(self.n, generator=self.generator)
        return iter(order.split(self.batch))

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch)


def run_lightning(data, epochs: int, gathered: bool = True) -> tuple[list[float], list[float]]:
    """PyTorch Lightning, fused Adam; `gathered`: batches fetched with one gather in the hand loop's order.

    Without `gathered`, the textbook `DataLoader(TensorDataset, batch_size=32, shuffle=True)`.
    The clock runs over `trainer.fit()` (its setup included, as the trainer's `fit()` includes its own).
    """
    import lightning as L  # noqa: N812 (Lightning's documented alias)
    from torch.utils.data import DataLoader, TensorDataset

    for name in ("lightning.pytorch", "lightning.fabric"):  # Lightning sets them to INFO: no "GPU available" lines
        logging.getLogger(name).setLevel(logging.WARNING)
    # Lightning 2.6's CombinedLoader builds torch's deprecated LeafSpec once an epoch: not ours to fix, and noise
    warnings.filterwarnings(
        "ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated", category=FutureWarning
    )

    class DigitsMLP(L.LightningModule):
        def __init__(self):
            super().__init__()
            torch.manual_seed(SEED)  # the same initial weights as the other torch contenders
            self.model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
            self.loss_fn = nn.CrossEntropyLoss()
            self.accs: list[float] = []

        def training_step(self, batch, batch_idx):
            x, y = batch
            return self.loss_fn(self.model(x), y)

        def on_validation_epoch_start(self):
            self.correct, self.seen = 0, 0

        def validation_step(self, batch, batch_idx):
            x, y = batch
            self.correct += (self.model(x).argmax(1) == y).sum()
            self.seen += len(y)

        def on_validation_epoch_end(self):
            self.accs.append(float(self.correct) / self.seen)

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=LR, fused=True)

    class EpochEnds(L.Callback):
        """Runs after the epoch's validation (Lightning validates inside the training epoch)."""

        def __init__(self):
            self.start = 0.0
            self.times: list[float] = []

        def on_train_epoch_end(self, trainer, pl_module):
            self.times.append(clock() - self.start)

    module = DigitsMLP()
    train_set = TensorDataset(data.train_x, data.train_y)
    val_set = TensorDataset(data.val_x, data.val_y)
    generator = torch.Generator().manual_seed(SEED)
    if gathered:
        train = DataLoader(train_set, sampler=EpochBatches(len(train_set), BATCH, generator), batch_size=None)
        val = DataLoader(val_set, sampler=EpochBatches(len(val_set), len(val_set)), batch_size=None)
    else:
        train = DataLoader(train_set, batch_size=BATCH, shuffle=True, generator=generator)
        val = DataLoader(val_set, batch_size=len(val_set))
    epoch_ends = EpochEnds()
    trainer = L.Trainer(
        accelerator="cpu",
        devices=1,
        max_epochs=epochs,
        num_sanity_val_steps=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=0,
        barebones=True,  # Lightning's own fastest mode: also no per-step logging bookkeeping (~1.5 % here)
        callbacks=[epoch_ends],
    )
    threads = torch.get_num_threads()
    epoch_ends.start = clock()
    trainer.fit(module, train_dataloaders=train, val_dataloaders=val)
    assert torch.get_num_threads() == threads, "Lightning changed torch's thread count"
    assert len(epoch_ends.times) == len(module.accs) == epochs
    return epoch_ends.times, module.accs


def to_target(times: list[float], accs: list[float]) -> tuple[float, int | None]:
    """(seconds, epochs) until validation accuracy first reached TARGET_ACC; (nan, None) if never."""
    for epoch, (t, a) in enumerate(zip(times, accs, strict=True), start=1):
        if a >= TARGET_ACC:
            return t, epoch
    return float("nan"), None


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s ({min(values):.3f}-{max(values):.3f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch (and BLAS) threads (default 1)")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument(
        "--clock",
        choices=list(CLOCKS),
        default="cpu",
        help="cpu: this process's CPU seconds (default: robust when other jobs share the cores); wall: elapsed",
    )
    args = parser.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", category=UserWarning)
    graph = bench_graph(args.epochs)
    data = load_dataset(graph.nodes["data"].params, SEED)
    runners = {
        "trainer": lambda: run_trainer(graph, data),
        "trainer, torch step": lambda: run_trainer(graph, data, direct=False),
        "trainer, rows read": lambda: run_trainer(graph, data, rows=True),
        "hand-written": lambda: run_handwritten(data, args.epochs),
        "hand-fused": lambda: run_handwritten(data, args.epochs, fused=True),
        "scikit-learn": lambda: run_sklearn(data, args.epochs),
        "lean torch": lambda: run_lean(data, args.epochs),  # a floor for reference, not a target
        "lean, direct kernel": lambda: run_lean(data, args.epochs, direct=True),  # the lean loop
        "lean, engine backward": lambda: run_lean(data, args.epochs, direct=True, engine=True),  # the bare floor
        "lean, same metrics": lambda: run_lean_metrics(data, args.epochs),  # ... computing what the trainer shows
    }
    if lightning_installed():
        import lightning

        runners["Lightning"] = lambda: run_lightning(data, args.epochs)
        runners["Lightning, per-sample loader"] = lambda: run_lightning(data, args.epochs, gathered=False)
        lightning_note = f"Lightning {lightning.__version__}"
    else:
        lightning_note = 'Lightning is not installed: its contenders are skipped (pip install -e ".[bench]" adds them)'
        print(lightning_note)
    names = list(runners)
    results: dict[str, list[tuple[list[float], list[float]]]] = {name: [] for name in names}
    with threadpool_limits(limits=args.threads):
        for name in names:  # warm-up: imports, allocator, first-call costs
            runners[name]()
        for r in range(args.repeats):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                results[name].append(runners[name]())
    print(
        f"digits_flat {len(data.train_x)} train / {len(data.val_x)} val, 64-128-10 MLP, Adam lr {LR}, "
        f"batch {BATCH}, seed {SEED}, {args.epochs} epochs, torch {torch.__version__}, "
        f"{args.threads} thread(s), {args.repeats} interleaved repeats (median, min-max), {args.clock} seconds, "
        f"{os.cpu_count()} cores, load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )
    print(lightning_note)
    total = {name: [times[-1] for times, _ in runs] for name, runs in results.items()}
    target = {name: [to_target(*run) for run in runs] for name, runs in results.items()}
    print(f"\n{'':24}{args.epochs} epochs{'':16}to {TARGET_ACC:.0%} val acc{'':10}epochs  final val acc")
    for name in names:
        seconds = [t for t, _ in target[name]]
        epochs = {e for _, e in target[name]}
        final = results[name][0][1][-1]
        print(f"{name:30}{spread(total[name]):28}{spread(seconds):30}{'/'.join(map(str, epochs)):8}{final:.4f}")
    to97 = {name: [t for t, _ in v] for name, v in target.items()}
    print()
    for a, b, times, what, goal in (
        ("trainer", "hand-fused", total, f"{args.epochs} epochs", "the real limit: same loop, fused Adam"),
        ("trainer", "lean, direct kernel", total, f"{args.epochs} epochs", "trainer / the lean loop, target <= 1.05"),
        ("trainer, rows read", "lean, direct kernel", total, f"{args.epochs} epochs", "the same, every row read"),
        ("trainer", "lean, engine backward", total, f"{args.epochs} epochs", "all our work beyond the bare step"),
        ("trainer", "lean, same metrics", total, f"{args.epochs} epochs", "our own work beyond the metrics"),
        ("lean, same metrics", "lean, engine backward", total, f"{args.epochs} epochs", "what the metrics cost"),
        ("lean, engine backward", "lean, direct kernel", total, f"{args.epochs} epochs", "the engine backward"),
        ("trainer", "lean torch", total, f"{args.epochs} epochs", "trainer / lean loop (torch's optimizer.step)"),
        ("trainer", "scikit-learn", total, f"{args.epochs} epochs", "per epoch, target <= 1.00"),
        ("trainer", "scikit-learn", to97, f"time to {TARGET_ACC:.0%}", "partly luck of the epochs"),
        ("trainer, torch step", "scikit-learn", total, f"{args.epochs} epochs", "the fallback, per epoch"),
        ("trainer, torch step", "lean torch", total, f"{args.epochs} epochs", "the fallback / lean loop"),
        ("hand-fused", "scikit-learn", total, f"{args.epochs} epochs", "for reference"),
        ("trainer", "hand-written", total, f"{args.epochs} epochs", "idiomatic loop, torch's default Adam"),
        ("trainer", "Lightning", total, f"{args.epochs} epochs", "Lightning at its strongest: fused Adam, gathered"),
        ("trainer", "Lightning, per-sample loader", total, f"{args.epochs} epochs", "textbook DataLoader"),
        ("hand-fused", "Lightning", total, f"{args.epochs} epochs", "what Lightning adds to the same loop"),
    ):
        if a in results and b in results:
            print(f"{a} / {b}, {what}: {ratios(times[a], times[b])} ({goal})")
    print("\nper repeat (each ran both back to back):")
    for a, b in (
        ("trainer", "lean, direct kernel"),
        ("trainer, rows read", "lean, direct kernel"),
        ("trainer", "lean, engine backward"),
        ("trainer", "lean, same metrics"),
        ("lean, same metrics", "lean, engine backward"),
        ("trainer", "hand-fused"),
        ("trainer", "scikit-learn"),
        ("trainer", "Lightning"),
        ("hand-fused", "Lightning"),
    ):
        if a in total and b in total:
            print(f"  {a} / {b}: {' '.join(f'{x / y:.3f}' for x, y in zip(total[a], total[b], strict=True))}")
    return 0


def ratios(a: list[float], b: list[float]) -> str:
    """Ratio of medians; median of the per-repeat ratios (each repeat ran both back to back); ratio of the minimums."""
    per_repeat = statistics.median(x / y for x, y in zip(a, b, strict=True))
    return (
        f"{statistics.median(a) / statistics.median(b):.3f} "
        f"[per-repeat median {per_repeat:.3f}, of minimums {min(a) / min(b):.3f}]"
    )


if __name__ == "__main__":
    sys.exit(main())
