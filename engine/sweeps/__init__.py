"""Experiments: sweeps of node parameters and training settings, searched with Optuna.

    experiment = Experiment("lr", [parse_param("adam.lr=log:1e-4:1e-1", graph)], strategy="tpe", trials=20)
    summary = Sweep(graph, "mlp.json", experiment, "mlp.experiments/lr").run(jobs=2)

`space` reads and checks what one setting may take; `experiment` is the saved definition;
`study` is the Optuna side (storage, samplers, pruners, the trial table); `trial` trains one
trial as an ordinary run; `runner` runs the worker processes. Above `runs`: trials are runs.
"""

from engine.sweeps.experiment import Experiment, apply_values, experiment_folder, store_in_graph
from engine.sweeps.space import SweepSpecError, SweptParam, parse_param, parse_spec

__all__ = [
    "Experiment",
    "SweepSpecError",
    "SweptParam",
    "apply_values",
    "experiment_folder",
    "parse_param",
    "parse_spec",
    "store_in_graph",
]
