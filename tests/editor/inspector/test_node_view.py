"""Which views a node gets is read from its recorded arrays: a sequence output is a time-step
heatmap, batch-norm statistics are bars, a stack of colour kernels are RGB tiles."""

from __future__ import annotations

import numpy as np

from editor.inspector.node_view import NodeView, ProbeLook
from engine.inspection.store import NodeRecord, Probe


def record(node_id: str, **fields) -> NodeRecord:
    base = dict(activations=None, weights={}, histograms={}, zero_weight_share=None, bn_stats=None, logits=None)
    return NodeRecord(node_id=node_id, epoch=2, **{**base, "softmax": None, **fields})


PROBE = Probe(
    inputs=np.random.default_rng(0).normal(size=(4, 8, 8)).astype(np.float32), targets=np.arange(4), class_names=None
)
FEATURES = ProbeLook(None, (-1.0, 1.0))


def shown(view: NodeView) -> list[str]:
    return [v.title for v in view.views if not v.isHidden()]


def test_a_recurrent_output_is_a_time_step_heatmap_of_the_chosen_sample(qtbot):
    view = NodeView()
    qtbot.addWidget(view)
    steps = np.random.default_rng(1).normal(size=(4, 8, 5)).astype(np.float32)  # probe x time x features
    view.show_record(record("gru1", activations=steps), PROBE, FEATURES, 2, None, None)
    assert shown(view) == ["Probe samples", "Time steps"]
    np.testing.assert_array_equal(view.arrays["timesteps"], steps[2])
    np.testing.assert_array_equal(view.timesteps.values, steps[2].T)  # a column per time step


def test_batch_norm_statistics_and_colour_kernels(qtbot):
    view = NodeView()
    qtbot.addWidget(view)
    stats = {"running_mean": np.array([0.5, -0.2], np.float32), "running_var": np.array([1.5, 0.7], np.float32)}
    kernels = np.random.default_rng(2).normal(size=(6, 3, 3, 3)).astype(np.float32)
    view.show_record(record("bn1", bn_stats=stats, weights={"weight": kernels}), PROBE, FEATURES, 0, None, None)
    assert shown(view) == ["Probe samples", "Kernels", "Batch-norm running statistics"]
    np.testing.assert_array_equal(view.bn_stats.values, np.array([0.5, -0.2, 1.5, 0.7], np.float32))
    assert len(view.kernels.images) == 6  # one RGB tile per filter for a colour input
    assert view.kernels.images[0].format().name == "Format_RGB888"
