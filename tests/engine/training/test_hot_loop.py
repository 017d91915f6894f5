"""The lean training loop reports what a slow, batch-by-batch loop would: rows, accuracy, losses."""

from __future__ import annotations

import copy

import pytest
import torch

from engine.nodes.optimizers import make_torch_optimizer
from engine.training.diagnostics import PendingBatches
from engine.training.trainer import Trainer

from .conftest import Recorder, params_of, tiny_mlp, without_timing
from .test_optimizers import gan_like


def test_rows_match_a_batch_by_batch_reference_loop(digits):
    """Per-batch loss and accuracy (counted on the device, many batches at once) equal a direct count.

    log_every above PendingBatches.COUNT_EVERY makes the counts come in chunks, and batch 16
    leaves a smaller last batch, so both counting paths run.
    """
    recorder = Recorder()
    trainer = Trainer(tiny_mlp(epochs=1, batch_size=16), data=digits, callbacks=[recorder], log_every=100)
    assert trainer.batches_per_epoch > PendingBatches.COUNT_EVERY and len(digits.train_x) % 16
    start = params_of(trainer.modules)
    trainer.fit()

    model = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10))
    model.load_state_dict({k.replace("fc1", "0").replace("fc2", "2"): v for k, v in start.items()})
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, fused=True)
    order = torch.randperm(len(digits.train_x), generator=torch.Generator().manual_seed(0))
    expected = []
    for i in range(0, len(order), 16):
        idx = order[i : i + 16]
        logits = model(digits.train_x[idx])
        loss = torch.nn.functional.cross_entropy(logits, digits.train_y[idx])
        expected.append((loss.item(), (logits.argmax(1) == digits.train_y[idx]).sum().item() / len(idx)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    rows = recorder.batch_rows
    assert [r["step"] for r in rows] == list(range(1, len(expected) + 1))
    assert [r["acc"] for r in rows] == [acc for _, acc in expected]
    assert [r["loss"] for r in rows] == pytest.approx([loss for loss, _ in expected], rel=1e-6)
    assert trainer.history[0]["train_acc"] == pytest.approx(
        sum(r["acc"] * min(16, len(order) - 16 * i) for i, r in enumerate(rows)) / len(order), abs=1e-12
    )


def test_each_loss_row_names_its_own_loss_whatever_the_stepping_order():
    recorder = Recorder()
    trainer = Trainer(gan_like(epochs=1), callbacks=[recorder], log_every=3)
    # The discriminator steps first, but the generator's loss comes first in the graph.
    assert [s.node_id for s in trainer.steps] == ["opt_d", "opt_g"]
    assert trainer.plan.losses == ["loss_g", "loss_d"]
    seen: dict[str, list[float]] = {"loss_d": [], "loss_g": []}
    for step in trainer.steps:

        def recording(batch, sample, step=step, inner=step.step):
            out, norms, finite = inner(batch, sample)
            for loss in step.losses:
                seen[loss].append(out[loss].item())
            return out, norms, finite

        step.step = recording
    trainer.fit()
    assert [r["loss_loss_d"] for r in recorder.batch_rows] == pytest.approx(seen["loss_d"], rel=1e-7)
    assert [r["loss_loss_g"] for r in recorder.batch_rows] == pytest.approx(seen["loss_g"], rel=1e-7)


def test_the_trainer_takes_fused_optimizer_steps_where_torch_has_them(digits):
    trainer = Trainer(tiny_mlp(epochs=1), data=digits)
    assert trainer.steps[0].optimizer.param_groups[0]["fused"] is True
    weights = [torch.nn.Parameter(torch.ones(3))]
    assert make_torch_optimizer("optimizers.RMSprop", {}, weights, fused=True).param_groups[0]["foreach"] is True
    assert make_torch_optimizer("optimizers.Adam", {}, weights).param_groups[0]["foreach"] is True
    assert make_torch_optimizer("optimizers.SGD", {}, weights, fused=True).param_groups[0]["fused"] is True


def test_sets_too_big_to_permute_per_epoch_train_the_same(digits, monkeypatch):
    """Small sets are gathered once per epoch and sliced; big ones are gathered batch by batch."""
    from engine.training import trainer as trainer_module

    def run():
        return without_timing(Trainer(tiny_mlp(epochs=2, batch_size=48), data=digits).fit().history)

    sliced = run()
    monkeypatch.setattr(trainer_module, "PERMUTE_BYTES", 0)
    assert run() == sliced


def test_rows_delivered_late_keep_the_learning_rate_each_batch_trained_with(digits):
    """A change applied between log rows: the batches before it keep the old rate in their rows."""
    from engine.training.control import TrainingControl

    control = TrainingControl()

    class ChangeAtFive(Recorder):
        def on_batch_end(self, trainer, batch):
            super().on_batch_end(trainer, batch)
            if batch.step == 5:
                control.set_lr(0.0123)

    recorder = ChangeAtFive()
    trainer = Trainer(tiny_mlp(epochs=1), data=digits, callbacks=[recorder], control=control, log_every=10)
    trainer.fit()
    lrs = [(row["step"], row["lr"]) for row in recorder.batch_rows]
    assert [step for step, _ in lrs] == list(range(1, trainer.batches_per_epoch + 1))
    assert all(lr == 0.01 for step, lr in lrs if step <= 5)
    assert all(lr == 0.0123 for step, lr in lrs if step > 5)


def test_rows_are_the_same_however_often_they_are_delivered(digits, monkeypatch):
    """Rows go out at most ROWS_EVERY_S late: converting them in bigger chunks changes no value."""
    from engine.training import trainer as trainer_module

    def rows(every: float) -> list[dict]:
        monkeypatch.setattr(trainer_module, "ROWS_EVERY_S", every)
        recorder = Recorder()
        Trainer(tiny_mlp(epochs=2, batch_size=16), data=digits, callbacks=[recorder], log_every=3).fit()
        return recorder.batch_rows

    assert rows(0.0) == rows(3600.0)


def test_batch_ends_are_built_only_when_a_callback_reads_them(digits):
    from engine.training.callbacks import Callback, CallbackList

    class EpochsOnly(Callback):
        def on_epoch_end(self, trainer, epoch, metrics):
            pass

    assert not CallbackList([EpochsOnly()]).wants("on_batch_end")
    assert CallbackList([EpochsOnly(), Recorder()]).wants("on_batch_end")
    patched = EpochsOnly()
    patched.on_batch_end = lambda trainer, batch: None  # an instance attribute counts too
    assert CallbackList([patched]).wants("on_batch_end")
    # Without a reader the epoch metrics are still computed from every batch.
    quiet = Trainer(tiny_mlp(epochs=1), data=digits, callbacks=[EpochsOnly()]).fit().history
    loud = Trainer(tiny_mlp(epochs=1), data=digits, callbacks=[Recorder()]).fit().history
    assert without_timing(quiet) == without_timing(loud)


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("Adam", {}),
        ("Adam", {"weight_decay": 0.01, "amsgrad": True}),
        ("AdamW", {"weight_decay": 0.05}),
        ("Adam", {"weight_decay": 0.01, "decoupled_weight_decay": True, "maximize": True}),
    ],
)
def test_direct_fused_adam_updates_exactly_like_torch(kind, options):
    """The kernel called directly gives bit-identical weights and state, through lr changes and a reload."""
    from engine.training.steps import DirectFusedAdam

    def model_and_optimizer():
        torch.manual_seed(3)
        model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
        return model, getattr(torch.optim, kind)(model.parameters(), lr=0.01, fused=True, **options)

    def train(model, update, optimizer, steps=12):
        generator = torch.Generator().manual_seed(1)
        for i in range(steps):
            if i == 6:
                optimizer.param_groups[0]["lr"] = 0.003
            x, y = torch.randn(5, 8, generator=generator), torch.randint(0, 3, (5,), generator=generator)
            for p in model.parameters():
                p.grad = None
            torch.nn.functional.cross_entropy(model(x), y).backward()
            update()

    reference, torch_opt = model_and_optimizer()
    train(reference, torch_opt.step, torch_opt)
    model, optimizer = model_and_optimizer()
    assert DirectFusedAdam.supports(optimizer)
    direct = DirectFusedAdam(optimizer)
    through_torch = []
    torch_step = optimizer.step
    optimizer.step = lambda: (through_torch.append(1), torch_step())[1]
    train(model, direct.step, optimizer)
    assert len(through_torch) == 1  # only the first step, which creates the state
    for a, b in zip(reference.parameters(), model.parameters(), strict=True):
        assert torch.equal(a, b)
    for a, b in zip(torch_opt.state.values(), optimizer.state.values(), strict=True):
        assert all(torch.equal(a[k], b[k]) for k in a)

    # a resumed run: the state is replaced by load_state_dict; the direct path follows it
    optimizer.load_state_dict(copy.deepcopy(torch_opt.state_dict()))  # a copy: state_dict() shares tensors
    train(reference, torch_opt.step, torch_opt, steps=3)
    train(model, direct.step, optimizer, steps=3)
    assert all(torch.equal(a, b) for a, b in zip(reference.parameters(), model.parameters(), strict=True))


def test_optimizers_the_direct_path_does_not_cover_keep_torch_step():
    from engine.training.steps import DirectFusedAdam

    weights = [torch.nn.Parameter(torch.ones(3))]
    assert not DirectFusedAdam.supports(torch.optim.Adam(weights, foreach=True))
    assert not DirectFusedAdam.supports(torch.optim.SGD(weights, lr=0.1, fused=True))
    hooked = torch.optim.Adam(weights, fused=True)
    hooked.register_step_post_hook(lambda *args: None)
    assert not DirectFusedAdam.supports(hooked)


def test_engine_backward_gives_the_gradients_and_hooks_of_tensor_backward():
    """The direct engine call: the same gradients bit for bit, tensor hooks fire, a leaf objective works."""
    from engine.training.steps import engine_backward

    backward = engine_backward(torch.device("cpu"))
    assert backward is not None and engine_backward(torch.device("meta")) is None

    def grads(run):
        torch.manual_seed(5)
        model = torch.nn.Sequential(torch.nn.Linear(6, 7), torch.nn.Tanh(), torch.nn.Linear(7, 2))
        seen = []
        hidden = model[1](model[0](torch.randn(4, 6)))
        hidden.register_hook(lambda grad: seen.append(grad.clone()))
        loss = torch.nn.functional.cross_entropy(model[2](hidden), torch.tensor([0, 1, 1, 0]))
        run(loss)
        return [p.grad for p in model.parameters()], seen

    expected, expected_seen = grads(torch.Tensor.backward)
    got, got_seen = grads(backward)
    assert all(torch.equal(a, b) for a, b in zip(expected, got, strict=True))
    assert len(got_seen) == 1 and torch.equal(got_seen[0], expected_seen[0])

    # the objective is a plain leaf itself (a Parameter would take Tensor.backward): its grad may be the seed
    leaf = torch.tensor(2.0, requires_grad=True)
    for _ in range(2):
        leaf.grad = None
        backward(leaf)
        assert leaf.grad.item() == 1.0  # the seed's 1, whatever clipping did to the last step's grad
        torch.nn.utils.clip_grad_norm_([leaf], 0.5)  # scales the grad in place
        assert leaf.grad.item() == pytest.approx(0.5)
    with pytest.raises(RuntimeError, match="does not require grad"):
        backward(torch.tensor(1.0))


def test_the_trainer_backpropagates_through_the_engine_on_the_cpu(digits):
    trainer = Trainer(tiny_mlp(epochs=1), data=digits)
    assert all(step._backward is not torch.Tensor.backward for step in trainer.steps)
    reference = Trainer(tiny_mlp(epochs=1), data=digits)
    for step in reference.steps:
        step._backward = torch.Tensor.backward
    assert without_timing(trainer.fit().history) == without_timing(reference.fit().history)
    trained, expected = params_of(trainer.modules), params_of(reference.modules)
    assert all(torch.equal(trained[name], expected[name]) for name in expected)
