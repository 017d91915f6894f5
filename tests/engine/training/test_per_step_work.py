"""The trainer's cheaper bookkeeping reports exactly what the plain computations would (issue 20)."""

from __future__ import annotations

import pytest
import torch

from engine.training.diagnostics import DeadReluProbe, correct_mask
from engine.training.plan import AccuracyPlan
from engine.training.trainer import Trainer

from .conftest import Recorder, tiny_mlp


def test_correct_counts_use_the_first_maximum_as_argmax_does_ties_nan_and_inf_included():
    plan = AccuracyPlan(loss="loss", prediction="p", target="t", kind="argmax")
    generator = torch.Generator().manual_seed(0)
    for trial in range(200):
        logits = torch.randint(0, 3, (64, 5), generator=generator).float()  # many ties
        if trial % 3 == 0:
            logits[torch.rand(64, 5, generator=generator) < 0.1] = float("nan")
        if trial % 4 == 0:
            logits[torch.rand(64, 5, generator=generator) < 0.1] = float("inf")
        target = torch.randint(0, 5, (64,), generator=generator)
        assert torch.equal(correct_mask(plan, logits, target), logits.argmax(1) == target)


@pytest.mark.parametrize("l1", [0.0, 1e-4])
def test_batch_losses_are_exactly_the_objective_read_by_the_nan_check_or_the_loss_tensor(digits, l1):
    """A plain step keeps the float its finiteness check read; with L1 the objective is not the loss,
    so the loss tensor is kept and read later. Either way each row is the batch's loss as float32 gives it."""
    graph = tiny_mlp(epochs=1)
    graph.nodes["adam"].params["l1"] = l1
    recorder = Recorder()
    trainer = Trainer(graph, data=digits, callbacks=[recorder], log_every=5)
    step = trainer.steps[0]
    assert step._plain is (l1 == 0.0)
    seen = []

    def recording(batch, sample, inner=step.step):
        out, norms, finite = inner(batch, sample)
        seen.append(out["loss"].item())
        assert (step.loss_value is None) is bool(l1)
        return out, norms, finite

    step.step = recording
    trainer.fit()
    assert [row["loss"] for row in recorder.batch_rows] == seen


def test_dead_units_from_the_validation_outputs_match_forward_hooks(digits):
    """The validation pass reads the ReLU's output from the program's own outputs; hooks see the same."""
    graph = tiny_mlp(epochs=1)
    trainer = Trainer(graph, data=digits)
    with torch.no_grad():
        trainer.modules.get_submodule("fc1").bias.fill_(-0.5)  # some units dead on every sample
    row = trainer._validate()
    hooked = DeadReluProbe(trainer.modules, ["relu1"])
    with torch.no_grad():
        trainer.eval_program(**{name: trainer.val_inputs[name] for name in trainer.eval_args})
    hooked.close()
    assert row["dead_relu"] == hooked.fractions()
    assert 0 < row["dead_relu"]["relu1"] < 1


def test_a_replaced_layer_is_the_one_the_step_calls(digits):
    """Submodules are bound into the step program's instance dict for speed; replacing one still takes."""
    trainer = Trainer(tiny_mlp(epochs=1), data=digits)
    program = trainer.steps[0].program
    assert program.__dict__["fc2"] is trainer.modules.get_submodule("fc2")
    calls = []
    replacement = torch.nn.Linear(16, 10)
    replacement.register_forward_hook(lambda module, args, output: calls.append(1))
    program.fc2 = replacement
    assert "fc2" not in program.__dict__ and program.fc2 is replacement
    batch = {name: t[:8] for name, t in trainer.train_inputs.items()}
    trainer.steps[0].forward(batch)
    assert calls == [1]


def test_gradient_norm_samples_from_the_step_and_as_tensors_agree(digits):
    """`step` returns per-parameter norms as a list of 0-dim tensors; a 1-D tensor per step reads the same."""
    trainer = Trainer(tiny_mlp(epochs=1), data=digits)
    step = trainer.steps[0]
    batch = {name: t[:8] for name, t in trainer.train_inputs.items()}
    _, norms, finite = step.step(batch, True)
    assert finite and len(norms) == len(step.params) and all(n.dim() == 0 for n in norms)
    generator = torch.Generator().manual_seed(0)
    samples = [torch.rand(4, generator=generator) for _ in range(3)] + [torch.stack(norms)]
    assert step.norms_and_silence([list(s.unbind()) for s in samples]) == step.norms_and_silence(samples)
