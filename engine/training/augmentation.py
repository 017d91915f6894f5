"""Image augmentation: the Dataset node's settings, applied to training batches only.

Each training batch of images [B, C, H, W] gets, per sample and drawn from the run's own
generator (so a seed repeats it): a horizontal flip, a shift of up to `crop` pixels (a random crop
of the image padded with zeros by `crop`), a rotation of up to `rotation` degrees, Gaussian noise
of std `noise`, and a brightness and contrast change of up to `jitter`. Validation and test batches
are never augmented. Small tensor ops of our own, vectorised over the batch: torchvision's
transforms work per image and its wheel does not install beside this CPU torch (STACK_NOTES).

`augment_batch` uses only torch, so the Python export copies its source into the exported
`train()` and draws the same numbers for the same seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

AUGMENT_SEED_OFFSET = 3  # the generator's seed is the run's seed plus this (noise uses +1, validation +2)


@dataclass(frozen=True)
class Augmentation:
    flip: bool = False
    crop: int = 0
    rotation: float = 0.0
    noise: float = 0.0
    jitter: float = 0.0

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Augmentation:
        return cls(
            bool(params.get("augment_flip", False)),
            int(params.get("augment_crop", 0)),
            float(params.get("augment_rotation", 0.0)),
            float(params.get("augment_noise", 0.0)),
            float(params.get("augment_jitter", 0.0)),
        )

    @property
    def active(self) -> bool:
        return self.flip or self.crop > 0 or self.rotation > 0 or self.noise > 0 or self.jitter > 0

    def kwargs(self) -> dict[str, Any]:
        return {
            "flip": self.flip,
            "crop": self.crop,
            "rotation": self.rotation,
            "noise": self.noise,
            "jitter": self.jitter,
        }

    def apply(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return augment_batch(x, generator, **self.kwargs())


def augment_batch(
    x: torch.Tensor,
    generator: torch.Generator,
    flip: bool = False,
    crop: int = 0,
    rotation: float = 0.0,
    noise: float = 0.0,
    jitter: float = 0.0,
) -> torch.Tensor:
    """A new batch of images [B, C, H, W], each sample changed at random as the settings allow."""
    batch, device = x.shape[0], x.device

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(batch, generator=generator, device=device) * (high - low) + low

    if flip:
        flipped = torch.rand(batch, generator=generator, device=device) < 0.5
        x = torch.where(flipped[:, None, None, None], x.flip(-1), x)
    if crop > 0:
        height, width = x.shape[-2:]
        shift_y = torch.randint(0, 2 * crop + 1, (batch,), generator=generator, device=device)
        shift_x = torch.randint(0, 2 * crop + 1, (batch,), generator=generator, device=device)
        padded = torch.nn.functional.pad(x, (crop, crop, crop, crop))
        rows = (torch.arange(height, device=device)[None, :] + shift_y[:, None])[:, None, :, None]
        cols = (torch.arange(width, device=device)[None, :] + shift_x[:, None])[:, None, None, :]
        samples = torch.arange(batch, device=device)[:, None, None, None]
        channels = torch.arange(x.shape[1], device=device)[None, :, None, None]
        x = padded[samples, channels, rows, cols]
    if rotation > 0:
        angle = uniform(-rotation, rotation) * (torch.pi / 180)
        cos, sin, zero = torch.cos(angle), torch.sin(angle), torch.zeros_like(angle)
        theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
        grid = torch.nn.functional.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
        x = torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if jitter > 0:
        contrast = uniform(1 - jitter, 1 + jitter)[:, None, None, None]
        brightness = uniform(-jitter, jitter)[:, None, None, None]
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = (x - mean) * contrast + mean + brightness
    if noise > 0:
        x = x + torch.randn(x.shape, generator=generator, device=device, dtype=x.dtype) * noise
    return x
