"""Loss nodes: a number that says how wrong the prediction is; optimizers minimize it."""

from __future__ import annotations

from engine.nodes.checks import require_batched, require_float
from engine.registry import SCALAR, LossCode, NodeType, NoImport, Param, Port, ShapeError, register
from engine.registry.codegen import call, non_default
from engine.registry.fixes import InsertNode, SetUpstreamParam
from engine.registry.traits import TAKES_LOGITS

INPUTS = (
    Port("prediction", "the model's output"),
    Port("target", "what it should have output"),
)
OUTPUTS = (Port("loss", "a single number to minimize"),)
WEIGHT = Param("weight", "float", 1.0, "Multiplier when several losses feed one optimizer.", minimum=0.0, maximum=1e6)


def _prediction(inputs):
    pred, target = inputs["prediction"], inputs["target"]
    require_batched(pred, "prediction")
    require_float(pred, "prediction")
    require_batched(target, "target")
    return pred, target


def _class_scores(pred, target, title: str) -> None:
    """Prediction [B, classes] against class labels [B] with a matching class count."""
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
    if target.rank != 1:
        raise ShapeError(
            f"gets target labels {target.bracket()} but needs one label per sample, [B]",
            f"{title} here classifies whole samples; flatten per-step outputs and labels first",
        )
    classes = pred.dims[0]
    if target.num_classes is not None and target.num_classes != classes:
        raise ShapeError(
            f"gets {classes} scores per sample but the target has {target.num_classes} classes",
            f"set out_features of the last Linear layer to {target.num_classes}",
            fix=SetUpstreamParam("prediction", "out_features", target.num_classes),
        )


def _infer_class_loss(title: str):
    def infer(params, inputs):
        pred, target = _prediction(inputs)
        _class_scores(pred, target, title)
        return {"loss": SCALAR}

    return infer


def _mismatch(pred, target):
    """Prediction and target of a regression loss differ in shape: say how to line them up."""
    extra, fix = "", None
    if {pred.dims, target.dims} == {(1,), ()}:
        extra = " (torch would silently broadcast them to [B, B] and learn only the mean)"
        port = "target" if pred.dims == (1,) else "prediction"
        hint = f"insert a Reshape to [1] on the {port} so both are [B, 1]"
        fix = InsertNode("layers.Reshape", port=port, params={"shape": [1]})
    elif target.dims and pred.rank == target.rank and pred.dims[:-1] == target.dims[:-1]:
        hint = f"set out_features of the last Linear layer to {target.dims[-1]}"
        fix = SetUpstreamParam("prediction", "out_features", target.dims[-1])
    else:
        hint = f"make the model output {target.bracket()} too (change the last layer or add a Reshape)"
    raise ShapeError(
        f"gets prediction {pred.bracket()} and target {target.bracket()}, but they must have the same shape{extra}",
        hint,
        fix,
    )


def _infer_regression(title: str):
    def infer(params, inputs):
        pred, target = _prediction(inputs)
        if target.is_labels:
            raise ShapeError(
                f"gets class labels {target.bracket()} as target, but {title} compares numbers",
                f"class labels into {title}: use CrossEntropy for classification (a Linear layer "
                "with one output per class before it)",
            )
        if target.dims != pred.dims:
            _mismatch(pred, target)
        return {"loss": SCALAR}

    return infer


def _build(kind: str):
    """A builder for the loss `kind`, given this node's params (the trainer applies `weight`)."""

    def build(params, inputs):
        import torch.nn as nn

        if kind == "CrossEntropy":
            return nn.CrossEntropyLoss(label_smoothing=params["label_smoothing"])
        if kind == "Hinge":
            return nn.MultiMarginLoss(p=int(params["p"]), margin=params["margin"])
        if kind == "MSE":
            return nn.MSELoss()
        if kind == "L1":
            return nn.L1Loss()
        if kind == "Huber":
            return nn.HuberLoss(delta=params["delta"])
        from engine.nodes import modules

        return getattr(modules, kind)()

    return build


# Losses are part of training, not of the model an importer reads: they have no import mapping.
NOT_IN_MODELS = NoImport("a loss belongs to training, not to the model's forward pass that importers read")


def _loss(
    kind: str,
    title: str,
    help_text: str,
    infer,
    params: tuple[Param, ...] = (),
    *,
    codegen: LossCode,
    accuracy: str | None = None,
    traits: tuple[str, ...] = (),
) -> NodeType:
    return register(
        NodeType(
            type_id=f"losses.{kind}",
            title=title,
            category="losses",
            help=help_text,
            inputs=INPUTS,
            outputs=OUTPUTS,
            params=params + (WEIGHT,),
            infer=infer,
            build=_build(kind),
            codegen=codegen,
            pytorch_import=NOT_IN_MODELS,
            onnx_import=NOT_IN_MODELS,
            accuracy=accuracy,
            traits=traits,
        )
    )


_loss(
    "CrossEntropy",
    "Cross-Entropy",
    "The standard loss for classification. It takes raw scores (logits), one per class, "
    "turns them into probabilities with softmax and measures how little probability the "
    "true class got: -log p(true class). Do not put a Softmax before it; it applies one "
    "itself. Connect the class labels from the Dataset's `y` to the target.",
    _infer_class_loss("CrossEntropy"),
    (
        Param(
            "label_smoothing",
            "float",
            0.0,
            "Spread this share of the target over all classes (regularization).",
            minimum=0.0,
            maximum=0.99,
        ),
    ),
    codegen=LossCode(lambda p: call("nn.CrossEntropyLoss", **non_default(label_smoothing=(p["label_smoothing"], 0.0)))),
    accuracy="argmax",
    traits=(TAKES_LOGITS,),
)

_loss(
    "Hinge",
    "Hinge (multi-class)",
    "The multi-class margin loss of support vector machines. For every wrong class whose "
    "score comes within `margin` of the true class's score it adds the shortfall; once the "
    "true class wins by the margin the loss is exactly 0 and that sample stops teaching. "
    "Like CrossEntropy it takes raw scores [B, classes] and class labels [B]. It gives no "
    "probabilities, and it often learns more slowly than CrossEntropy in neural networks.",
    _infer_class_loss("Hinge"),
    (
        Param("margin", "float", 1.0, "How far the true class's score must lead the others.", minimum=0.0, maximum=1e3),
        Param("p", "choice", "1", "1: add the shortfalls; 2: add their squares.", choices=("1", "2"), advanced=True),
    ),
    codegen=LossCode(
        lambda p: call("nn.MultiMarginLoss", **non_default(p=(int(p["p"]), 1), margin=(p["margin"], 1.0)))
    ),
    accuracy="argmax",
)

REGRESSION_HELP = (
    " Prediction and target must have exactly the same shape: a [B, 1] prediction against a "
    "[B] target would be broadcast to [B, B] and quietly learn the wrong thing, so the node "
    "refuses it. For class labels use CrossEntropy."
)

_loss(
    "MSE",
    "MSE (mean squared error)",
    "Mean squared error: the average of (prediction - target)^2, the standard loss for "
    "regression (predicting numbers). Squaring punishes large errors much more than small "
    "ones, so a few outliers can dominate training." + REGRESSION_HELP,
    _infer_regression("MSE"),
    codegen=LossCode(lambda p: "nn.MSELoss()"),
)

_loss(
    "L1",
    "L1 (mean absolute error)",
    "Mean absolute error: the average of |prediction - target|, a regression loss. Every "
    "unit of error counts the same, so outliers pull less than with MSE and the model learns "
    "the median rather than the mean; near the optimum its gradient does not shrink, which "
    "can make the last steps jitter." + REGRESSION_HELP,
    _infer_regression("L1"),
    codegen=LossCode(lambda p: "nn.L1Loss()"),
)

_loss(
    "Huber",
    "Huber",
    "A regression loss that is squared for small errors (like MSE) and linear for errors "
    "larger than delta (like L1). It learns smoothly near the target but is not thrown off by "
    "outliers. Choose delta about the size of an error you still consider normal for your "
    "data." + REGRESSION_HELP,
    _infer_regression("Huber"),
    (
        Param(
            "delta", "float", 1.0, "Error size where the loss turns from squared to linear.", minimum=1e-6, maximum=1e6
        ),
    ),
    codegen=LossCode(lambda p: call("nn.HuberLoss", **non_default(delta=(p["delta"], 1.0)))),
)


def _infer_bce(params, inputs):
    pred, target = _prediction(inputs)
    if target.is_labels:
        if target.rank != 1 or pred.dims not in ((1,), ()):
            raise ShapeError(
                f"gets prediction {pred.bracket()} with class labels {target.bracket()}, but labels "
                "need one score per sample, [B, 1]",
                "use CrossEntropy for several classes; for several yes/no outputs give float targets",
            )
        if target.num_classes is not None and target.num_classes != 2:
            raise ShapeError(
                f"gets class labels with {target.num_classes} classes, but BCEWithLogits is for two (0 and 1)",
                "use CrossEntropy for more than two classes",
            )
        return {"loss": SCALAR}
    if target.dims != pred.dims:
        raise ShapeError(
            f"gets prediction {pred.bracket()} and target {target.bracket()}, but they must have the same shape",
            "give the last layer one output per yes/no target",
        )
    return {"loss": SCALAR}


_loss(
    "BCEWithLogits",
    "Binary Cross-Entropy (logits)",
    "Binary cross-entropy for yes/no questions, computed from raw scores: it applies the "
    "sigmoid itself (in a numerically stable way), so do not put a Sigmoid before it. Use a "
    "prediction [B, 1] for one question, such as a GAN discriminator's real or fake, or "
    "[B, k] for k independent yes/no labels (multi-label). The target is floats of the "
    "same shape between 0 and 1, or class labels of a two-class dataset with a [B, 1] "
    "prediction: those are turned into floats 0.0/1.0 of the prediction's shape.",
    _infer_bce,
    codegen=LossCode(
        lambda p: "BCEWithLogitsLabels()",
        helper='''
class BCEWithLogitsLabels(nn.BCEWithLogitsLoss):
    """BCEWithLogitsLoss that also takes 0/1 class labels, turned into floats of the prediction's shape."""

    def forward(self, prediction, target):
        if not target.is_floating_point():
            target = target.to(prediction.dtype).reshape(prediction.shape)
        return super().forward(prediction, target)
''',
    ),
    accuracy="threshold",
    traits=(TAKES_LOGITS,),
)


def _infer_kl(params, inputs):
    pred, target = _prediction(inputs)
    if pred.rank != 2:
        raise ShapeError(
            f"gets prediction {pred.bracket()} but needs log-probabilities [B, classes]",
            "end the model with a Linear layer and a LogSoftmax",
        )
    if target.is_labels:
        _class_scores(pred, target, "KLDivergence")
    elif target.dims != pred.dims:
        raise ShapeError(
            f"gets prediction {pred.bracket()} and target {target.bracket()}, but the target "
            "probabilities need the same shape",
            "give the last Linear layer one output per class of the target distribution",
        )
    return {"loss": SCALAR}


_loss(
    "KLDivergence",
    "KL Divergence",
    "Kullback-Leibler divergence: how much information is lost when the predicted "
    "distribution stands in for the target distribution, sum of target x (log target - "
    "prediction), averaged over the batch. The prediction must be log-probabilities [B, "
    "classes], so end the model with LogSoftmax; raw scores or Softmax outputs give wrong, "
    "even negative, values. The target is probabilities of the same shape (soft labels, a "
    "teacher network in distillation) or class labels, which are turned into one-hot "
    "vectors (then it equals CrossEntropy).",
    _infer_kl,
    codegen=LossCode(
        lambda p: "KLDivergence()",
        helper='''
class KLDivergence(nn.Module):
    """KL(target || prediction) with prediction as log-probabilities; class labels become one-hot."""

    def forward(self, prediction, target):
        if not target.is_floating_point():
            target = F.one_hot(target, prediction.shape[1]).to(prediction.dtype)
        return F.kl_div(prediction, target, reduction="batchmean")
''',
    ),
)
