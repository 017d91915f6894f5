"""Which pixels a classifier's decision rests on: saliency and Grad-CAM, computed by Captum.

- `saliency(model, inputs, target)`: the gradient of the target class's score with respect to
  each input value (Simonyan et al. 2014), signed; its absolute value is the usual picture.
- `grad_cam(model, layer, inputs, target)`: Grad-CAM (Selvaraju et al. 2017) on a convolution's
  output: its channels weighted by the mean gradient of the class score over each channel,
  summed and passed through a ReLU, upsampled to the input's size.

`model` is a module mapping the input batch to class scores [n, classes]; `classifier_of(run)`
builds one from a trained run, and `last_conv(run)` finds the layer Grad-CAM uses by default:
the last convolution the prediction depends on. The target defaults to the predicted class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


class AttributionError(Exception):
    """An attribution that cannot be made (one line: which node, why)."""


@dataclass
class Attributions:
    inputs: np.ndarray  # [n, *input shape] the samples explained
    target: np.ndarray  # [n] the class explained for each
    saliency: np.ndarray  # [n, *input shape] gradient of the target score
    grad_cam: np.ndarray | None  # [n, H, W] Grad-CAM at input size, None without a convolution
    layer: str | None  # the node Grad-CAM looked at


class Classifier(nn.Module):
    """A trained run's model part as `x -> class scores`, for Captum."""

    def __init__(self, run, prediction: str):
        super().__init__()
        self.run_modules = run.modules
        self.program = run.program([prediction])
        self.prediction = prediction
        self.args = [n.target for n in self.program.graph.nodes if n.op == "placeholder"]
        self.x_input = run.x_input
        self.label_dtype = run.data.train_y.dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feed = {name: x if name == self.x_input else torch.zeros(len(x), dtype=self.label_dtype) for name in self.args}
        out = self.program(**feed)
        out = out[self.prediction] if isinstance(out, dict) else out
        return out.reshape(len(x), -1)


def classifier_of(run) -> Classifier:
    prediction = run.prediction_node
    if prediction is None:
        raise AttributionError("the run's graph has no prediction to explain")
    return Classifier(run, prediction)


def last_conv(run, prediction: str | None = None) -> str | None:
    """The last convolution node (in data-flow order) that the prediction depends on, or None."""
    prediction = prediction or run.prediction_node
    upstream = run.graph.ancestors([prediction]) if prediction else set(run.graph.nodes)
    children = dict(run.modules.named_children())
    convs = [
        n
        for n in run.plan.analysis.order
        if n in upstream and isinstance(children.get(n), nn.modules.conv._ConvNd) and children[n].weight.dim() == 4
    ]
    return convs[-1] if convs else None


def saliency(model: nn.Module, inputs: torch.Tensor, target: torch.Tensor | int | None = None) -> np.ndarray:
    """d(score of `target`)/d(input), signed, same shape as `inputs` (Captum's Saliency with abs=False)."""
    from captum.attr import Saliency

    model.eval()
    inputs = inputs.detach().clone().requires_grad_(True)
    target = _targets(model, inputs, target)
    with torch.enable_grad():
        grads = Saliency(model).attribute(inputs, target=target, abs=False)
    return grads.detach().cpu().numpy()


def grad_cam(
    model: nn.Module, layer: nn.Module, inputs: torch.Tensor, target: torch.Tensor | int | None = None
) -> np.ndarray:
    """Grad-CAM of `layer`'s output for `target`, upsampled to the input's height and width: [n, H, W]."""
    from captum.attr import LayerAttribution, LayerGradCam

    model.eval()
    inputs = inputs.detach().clone()
    target = _targets(model, inputs, target)
    with torch.enable_grad():
        cam = LayerGradCam(model, layer).attribute(inputs, target=target, relu_attributions=True)
    if cam.dim() != 4:  # a Linear after Flatten: no maps to place on the picture
        raise AttributionError(
            "Grad-CAM needs a layer whose output has a height and a width (feature maps); this one's has none: "
            "choose a convolution (or a pooling, normalization or activation layer on the images)"
        )
    cam = LayerAttribution.interpolate(cam, tuple(inputs.shape[-2:]), interpolate_mode="bilinear")
    return cam[:, 0].detach().cpu().numpy()


def explain(run, inputs: torch.Tensor, layer_node: str | None = None) -> Attributions:
    """Saliency and Grad-CAM (on `layer_node`, else the last convolution) of the predicted class for `inputs`."""
    model = classifier_of(run)
    inputs = inputs.float()
    with torch.no_grad():
        target = model(inputs.float()).argmax(1)
    layer_node = layer_node or last_conv(run)
    cam = None
    if layer_node is not None:
        if layer_node not in run.graph.nodes:
            raise AttributionError(f"the run's graph has no node {layer_node!r}")
        layer = dict(run.modules.named_children()).get(layer_node)
        if layer is None:
            raise AttributionError(f"node {layer_node!r} computes nothing Grad-CAM can look at")
        try:
            cam = grad_cam(model, layer, inputs, target) if inputs.dim() == 4 else None
        except AttributionError as exc:
            raise AttributionError(f"node {layer_node!r}: {exc}") from None
    return Attributions(
        inputs=inputs.detach().cpu().numpy(),
        target=target.cpu().numpy(),
        saliency=saliency(model, inputs, target),
        grad_cam=cam,
        layer=layer_node if cam is not None else None,
    )


def _targets(model: nn.Module, inputs: torch.Tensor, target) -> torch.Tensor | int:
    if target is not None:
        return target
    with torch.no_grad():
        return model(inputs).argmax(1)
