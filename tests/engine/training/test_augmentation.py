"""Augmentation: each operation does what it says, only on training batches, repeatably for a seed."""

from __future__ import annotations

import pytest
import torch

from engine.analysis import analyze
from engine.data import load_dataset
from engine.training import Trainer
from engine.training.augmentation import Augmentation, augment_batch
from tests.engine.conftest import make_mlp


def images(batch: int = 6) -> torch.Tensor:
    return torch.arange(batch * 2 * 5 * 5, dtype=torch.float32).reshape(batch, 2, 5, 5)


def generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_flip_mirrors_some_samples_left_to_right_and_keeps_the_rest():
    x = images(32)
    out = augment_batch(x, generator(), flip=True)
    flipped = [torch.equal(o, s.flip(-1)) for o, s in zip(out, x, strict=True)]
    kept = [torch.equal(o, s) for o, s in zip(out, x, strict=True)]
    assert all(f or k for f, k in zip(flipped, kept, strict=True)) and 5 < sum(flipped) < 27


def test_crop_shifts_each_image_within_its_zero_padding():
    x = images(16) + 1  # no zero pixels of its own
    out = augment_batch(x, generator(), crop=2)
    assert out.shape == x.shape
    for o, s in zip(out, x, strict=True):
        found = False
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                padded = torch.nn.functional.pad(s, (2, 2, 2, 2))
                window = padded[:, 2 + dy : 2 + dy + 5, 2 + dx : 2 + dx + 5]
                found |= torch.equal(o, window)
        assert found


def test_rotation_by_zero_is_the_identity_and_larger_angles_move_pixels():
    x = images(4)
    tiny = augment_batch(x, generator(), rotation=1e-4)
    assert torch.allclose(tiny, x, atol=1e-2)
    turned = augment_batch(x, generator(), rotation=90)
    assert not torch.allclose(turned, x, atol=1.0)


def test_noise_and_jitter_have_the_asked_size():
    x = torch.zeros(2000, 1, 4, 4)
    noisy = augment_batch(x, generator(), noise=0.3)
    assert noisy.std().item() == pytest.approx(0.3, rel=0.05)
    x = torch.rand(500, 1, 4, 4)
    jittered = augment_batch(x, generator(), jitter=0.2)
    shift = (jittered.mean(dim=(1, 2, 3)) - x.mean(dim=(1, 2, 3))).abs()
    assert shift.max().item() <= 0.2 + 1e-6 and shift.mean().item() > 0.05


def test_the_same_seed_repeats_the_same_augmentation():
    x = images(8)
    settings = {"flip": True, "crop": 1, "rotation": 10.0, "noise": 0.1, "jitter": 0.1}
    assert torch.equal(augment_batch(x, generator(5), **settings), augment_batch(x, generator(5), **settings))
    assert not torch.equal(augment_batch(x, generator(5), **settings), augment_batch(x, generator(6), **settings))


def cnn(**augment):
    graph = make_mlp()
    graph.nodes["data"].params.update(dataset="digits_images", **augment)
    graph.add_node("layers.Flatten", node_id="flat")
    graph.disconnect(next(e for e in graph.edges if e.dst == "fc1"))
    graph.connect("data", "x", "flat", "in")
    graph.connect("flat", "out", "fc1", "in")
    graph.training.update(epochs=1, batch_size=64, device="cpu")
    return graph


def test_training_batches_are_augmented_and_validation_is_not():
    graph = cnn(augment_noise=0.5)
    data = load_dataset(graph.resolved_params("data"), 0)
    trainer = Trainer(graph, data=data)
    assert trainer.augmentation == Augmentation(noise=0.5) and not Trainer(cnn(), data=data).augmentation.active
    trained, validated = [], []
    step, evaluate = trainer.steps[0].step, trainer.eval_program

    def spy_step(batch, sample):
        trained.append(batch["data_x"].clone())
        return step(batch, sample)

    def spy_eval(**inputs):
        validated.append(inputs["data_x"].clone())
        return evaluate(**inputs)

    trainer.steps[0].step = spy_step
    trainer.eval_program = spy_eval
    trainer.fit()
    rows = {row.numpy().tobytes() for row in data.train_x}
    assert not any(sample.numpy().tobytes() in rows for batch in trained for sample in batch)  # all noisy
    assert torch.equal(torch.cat(validated), data.val_x)  # validation saw the data as it is


def test_augmenting_data_that_is_not_images_is_a_problem_on_the_node():
    graph = make_mlp()
    graph.nodes["data"].params["augment_crop"] = 2
    problems = [p for p in analyze(graph).problems if p.node_id == "data"]
    assert problems and "augment_crop changes images" in problems[0].message
