"""Try your own input on a trained run: a drawn digit, an image file or typed feature values.

The input is brought to what the model was trained on: an image is converted to grey or
colour as the dataset's, scaled to its height and width (area averaging, the way a drawing
shrinks to 8x8 without losing thin strokes), mapped to the dataset's pixel range and then
standardized with the run's training statistics, exactly as the training data were. One
forward pass then gives the class probabilities and every node's output on the way (forward
hooks on the trained modules, named by node id).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from engine.inspection.trained import RunReadError, TrainedRun, softmax_of

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


class InputError(ValueError):
    """An input that does not fit the run's data (one line that says what was expected)."""


@dataclass
class Prediction:
    """What the trained model makes of one input."""

    model_input: np.ndarray  # the sample as the model took it (standardized), shape = the dataset's x
    raw_input: np.ndarray  # the same before standardization (pixels in the dataset's range)
    outputs: np.ndarray  # the prediction node's output for this sample
    probabilities: np.ndarray | None  # [classes] for a classifier, else None
    class_names: list[str]
    activations: dict[str, np.ndarray] = field(default_factory=dict)  # node id -> output (no batch axis)

    @property
    def predicted(self) -> int | None:
        return None if self.probabilities is None else int(np.argmax(self.probabilities))

    @property
    def predicted_name(self) -> str | None:
        k = self.predicted
        if k is None:
            return None
        return self.class_names[k] if k < len(self.class_names) else str(k)


def image_to_sample(run: TrainedRun, image: np.ndarray) -> np.ndarray:
    """An image (H, W) grey or (H, W, 3|4) colour, values 0..1, ink bright, as one raw sample of the
    dataset's x (its size and pixel range), before standardization."""
    shape = run.image_shape
    if shape is None:
        raise InputError(f"the run's data are not images (each sample is {list(run.x_shape)} values)")
    picture = np.asarray(image, dtype=np.float32)
    if picture.ndim == 3 and picture.shape[2] == 4:
        picture = picture[:, :, :3]
    colour = len(shape) == 3
    if picture.ndim == 2 and colour:
        picture = np.repeat(picture[:, :, None], 3, axis=2)
    elif picture.ndim == 3 and not colour:
        picture = picture @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if picture.ndim not in (2, 3) or min(picture.shape[:2]) < 1:
        raise InputError(f"expected an image of height x width pixels, received shape {list(picture.shape)}")
    channels_first = torch.from_numpy(np.ascontiguousarray(picture)).reshape(1, *picture.shape[:2], -1)
    channels_first = channels_first.permute(0, 3, 1, 2)
    resized = torch.nn.functional.interpolate(channels_first, size=tuple(shape[:2]), mode="area")[0]
    lo, hi = pixel_range(run)
    scaled = lo + resized.clamp(0, 1) * (hi - lo)
    sample = scaled.permute(1, 2, 0) if colour else scaled[0]  # (H, W, 3) or (H, W), as image_shape reads x
    return _from_image_layout(run, sample.numpy())


def frame_drawing(image: np.ndarray, margin: float = 0.05, ink: float = 0.05) -> np.ndarray:
    """A drawing cropped to its ink and centred in a square with `margin` (a share of the side) around
    it, the way the built-in digits were framed: a small digit drawn in a corner reads as the same digit.
    A blank drawing is returned as it is."""
    picture = np.asarray(image, dtype=np.float32)
    grey = picture if picture.ndim == 2 else picture.max(axis=2)
    rows, cols = np.flatnonzero(grey.max(axis=1) > ink), np.flatnonzero(grey.max(axis=0) > ink)
    if not len(rows):
        return picture
    crop = picture[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    side = int(np.ceil(max(crop.shape[:2]) / (1 - 2 * margin)))
    framed = np.zeros((side, side, *picture.shape[2:]), dtype=np.float32)
    top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    framed[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    return framed


def _from_image_layout(run: TrainedRun, image: np.ndarray) -> np.ndarray:
    """An (H, W) or (H, W, 3) image laid out as the dataset's x ([1, H, W], [3, H, W], [H*W] or [H, W])."""
    x_shape = run.x_shape
    if len(x_shape) == 3:
        return image.reshape(1, *image.shape) if x_shape[0] == 1 else np.transpose(image, (2, 0, 1)).copy()
    return image.reshape(x_shape)


def to_image_layout(run: TrainedRun, sample: np.ndarray) -> np.ndarray | None:
    """One sample of x (raw) as the picture it is ((H, W) or (H, W, 3)), or None for features."""
    shape = run.image_shape
    if shape is None:
        return None
    if len(run.x_shape) == 3 and run.x_shape[0] == 3:
        return np.transpose(np.asarray(sample).reshape(run.x_shape), (1, 2, 0))
    return np.asarray(sample).reshape(shape)


def pixel_range(run: TrainedRun) -> tuple[float, float]:
    """The lowest and highest raw value in the training images (0..1 for the built-in digits)."""
    if "pixel_range" not in run._cache:
        raw = run.raw_x(run.data.train_x)
        run._cache["pixel_range"] = (float(raw.min()), float(raw.max())) if raw.numel() else (0.0, 1.0)
    return run._cache["pixel_range"]


def read_image_file(path: str | os.PathLike) -> np.ndarray:
    """An image file as floats 0..1 (H, W, 3) or (H, W) (Pillow reads it; nothing is executed)."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as img:
            img.load()
            grey = img.mode in ("L", "1", "I", "I;16", "F")
            picture = np.asarray(img.convert("L" if grey else "RGB"), dtype=np.float32) / 255.0
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"{path}: not an image Pillow can read ({exc.__class__.__name__})") from None
    return picture


def image_file_to_sample(run: TrainedRun, path: str | os.PathLike) -> np.ndarray:
    """An image file as one raw sample. Dark ink on a light page (a scan, a photo of a digit) is turned
    round to light ink on black when the dataset's digits are bright on dark, judged by the border."""
    picture = read_image_file(path)
    grey = picture if picture.ndim == 2 else picture.mean(axis=2)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if run.image_shape is not None and len(run.image_shape) == 2 and border.mean() > 0.5 and _dark_background(run):
        picture = 1.0 - picture
    return image_to_sample(run, picture)


def _dark_background(run: TrainedRun) -> bool:
    """Whether the dataset's images are mostly at their lowest value (ink on black, like digits)."""
    raw = run.raw_x(run.data.train_x[:256])
    lo, hi = pixel_range(run)
    return bool(raw.numel()) and float(raw.mean()) < lo + 0.5 * (hi - lo)


def features_to_sample(run: TrainedRun, values: list[float] | np.ndarray) -> np.ndarray:
    """Typed feature values (in the dataset's own units) as one raw sample."""
    array = np.asarray(values, dtype=np.float32).reshape(-1)
    expected = int(np.prod(run.x_shape))
    if array.size != expected:
        raise InputError(f"expected {expected} feature values, received {array.size}")
    if not np.isfinite(array).all():
        raise InputError("every feature value must be a finite number")
    return array.reshape(run.x_shape)


def feature_names(run: TrainedRun) -> list[str]:
    """The names of the dataset's features (x0, x1, ... when the dataset does not name them)."""
    info = run.data.info
    names = list(getattr(info, "feature_names", ()) or ())
    count = int(np.prod(run.x_shape))
    return names if len(names) == count else [f"x{i}" for i in range(count)]


def typical_features(run: TrainedRun) -> np.ndarray:
    """A starting point for typed values: the training mean of each feature, in the dataset's units."""
    return run.raw_x(run.data.train_x).mean(dim=0).numpy()


def predict(run: TrainedRun, raw_sample: np.ndarray) -> Prediction:
    """Run one raw sample (the dataset's units) through the trained model; every node's output is kept."""
    raw = torch.as_tensor(np.asarray(raw_sample, dtype=np.float32)).reshape(1, *run.x_shape)
    x = run.prepare(raw)
    target = run.prediction_node
    if target is None:
        raise RunReadError(f"{run.folder}: the run's graph has no model output to predict with")
    activations: dict[str, np.ndarray] = {}
    handles = []
    for node_id, module in run.modules.named_children():
        handles.append(module.register_forward_hook(_keeper(activations, node_id)))
    try:
        out = run.run(x, [target])[target]
    finally:
        for handle in handles:
            handle.remove()
    accuracy = run.accuracy
    probabilities = softmax_of(out, accuracy.kind)[0] if accuracy is not None else None
    return Prediction(
        model_input=x[0].numpy(),
        raw_input=raw[0].numpy(),
        outputs=out[0].float().numpy(),
        probabilities=probabilities,
        class_names=run.class_names,
        activations=activations,
    )


def _keeper(store: dict[str, np.ndarray], node_id: str):
    def hook(_module, _inputs, output) -> None:
        value = output[0] if isinstance(output, (tuple, list)) else output
        if isinstance(value, torch.Tensor) and value.dim() >= 1 and len(value) == 1:
            store[node_id] = value[0].detach().float().numpy().copy()

    return hook
