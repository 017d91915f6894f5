"""Loss nodes: a number that says how wrong the prediction is; optimizers minimize it."""

from __future__ import annotations

from engine.nodes.checks import require_batched, require_float
from engine.registry import SCALAR, NodeType, Param, Port, ShapeError, register

INPUTS = (
    Port("prediction", "the model's output"),
    Port("target", "what it should have output"),
)
OUTPUTS = (Port("loss", "a single number to minimize"),)
WEIGHT = Param("weight", "float", 1.0, "Multiplier when several losses feed one optimizer.", minimum=0.0, maximum=1e6)


def _infer_class_loss(params, inputs):
    pred, target = inputs["prediction"], inputs["target"]
    require_batched(pred, "prediction")
    require_float(pred, "prediction")
    if pred.rank != 2:
        raise ShapeError(
            f"gets prediction {pred.bracket()} but needs one score per class, [B, classes]",
            "end the model with a Linear layer whose out_features is the number of classes",
        )
    if not target.is_labels:
        raise ShapeError(
            f"gets target {target.bracket()} of numbers but needs class labels [B]",
            "use MSE or Huber for numeric targets, or connect the Dataset's `y` of a classification dataset",
        )
    classes = pred.dims[0]
    if target.num_classes is not None and target.num_classes != classes:
        raise ShapeError(
            f"gets {classes} scores per sample but the target has {target.num_classes} classes",
            f"set out_features of the last Linear layer to {target.num_classes}",
            fix={"kind": "set_param", "upstream_of": "prediction", "param": "out_features", "value": target.num_classes},
        )
    return {"loss": SCALAR}


def _build_cross_entropy(params, inputs):
    import torch.nn as nn

    return nn.CrossEntropyLoss(label_smoothing=params["label_smoothing"])


register(NodeType(
    type_id="losses.CrossEntropy",
    title="Cross-Entropy",
    category="losses",
    help=(
        "The standard loss for classification. It takes raw scores (logits), one per class, "
        "turns them into probabilities with softmax and measures how little probability the "
        "true class got: -log p(true class). Do not put a Softmax before it; it applies one "
        "itself. Connect the class labels from the Dataset's `y` to the target."
    ),
    inputs=INPUTS,
    outputs=OUTPUTS,
    params=(
        Param("label_smoothing", "float", 0.0, "Spread this share of the target over all classes (regularization).",
              minimum=0.0, maximum=0.99),
        WEIGHT,
    ),
    infer=_infer_class_loss,
    build=_build_cross_entropy,
))
