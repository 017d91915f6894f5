"""A run's resumable state: what goes into `state.pt` besides the weights, and back out.

Only tensors, numbers, strings, lists and dicts, so `torch.load(weights_only=True)` reads
it. The graph hash and data fingerprint make sure a checkpoint resumes the run it came
from; `epochs` and `device` may change between the two (that is the point of resuming).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import torch

from engine.graph import Graph
from engine.graph.fileformat import graph_to_document
from engine.training.errors import TrainingError

if TYPE_CHECKING:
    from engine.training.trainer import Trainer

FORMAT = 1
RESUMABLE_CHANGES = ("epochs", "device")


def graph_hash(graph: Graph, settings: dict[str, Any] | None = None) -> str:
    """sha256 of the nodes, params, edges and settings that shape training (not layout, epochs, device)."""
    doc = graph_to_document(graph)
    doc["training"] = {**doc["training"], **(settings or {})}
    for key in RESUMABLE_CHANGES:
        doc["training"].pop(key, None)
    doc["nodes"] = [{k: v for k, v in node.items() if k != "ui"} for node in doc["nodes"]]
    doc.pop("description", None)
    # neither changes what trains: a sweep defined on the graph, the file format it was saved in
    doc.pop("experiments", None)
    doc.pop("format_version", None)
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


class RunState:
    @staticmethod
    def capture(trainer: Trainer) -> dict[str, Any]:
        rng = {
            "torch": torch.get_rng_state(),
            "shuffle": trainer.shuffle_gen.get_state(),
            "noise": trainer.noise_gen.get_state(),
        }
        if torch.cuda.is_available() and trainer.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(trainer.device)
        return {
            "format": FORMAT,
            "epoch": len(trainer.history),
            "step": trainer.step_count,
            "history": json.dumps(trainer.history),
            "graph_hash": trainer.graph_hash,
            "data_fingerprint": trainer.data.fingerprint,
            "optimizers": {s.node_id: s.optimizer.state_dict() for s in trainer.steps},
            "schedulers": {s.node_id: s.scheduler.state_dict() for s in trainer.steps if s.scheduler is not None},
            "scalers": {s.node_id: s.scaler.state_dict() for s in trainer.steps if s.scaler is not None},
            "monitor": trainer.monitor.state_dict(),
            "rng": rng,
        }

    @staticmethod
    def restore(trainer: Trainer, state: dict[str, Any]) -> None:
        if state.get("format") != FORMAT:
            raise TrainingError(f"checkpoint format {state.get('format')!r} is not one this version reads ({FORMAT})")
        if state["graph_hash"] != trainer.graph_hash:
            raise TrainingError(
                "cannot resume: the checkpoint was made from a different graph or settings "
                "(only epochs and device may change); start a new run instead"
            )
        if state["data_fingerprint"] != trainer.data.fingerprint:
            raise TrainingError("cannot resume: the data differs from the checkpoint's (fingerprint mismatch)")
        if state["epoch"] > trainer.epochs:
            raise TrainingError(
                f"cannot resume: the checkpoint is at epoch {state['epoch']}, beyond the "
                f"{trainer.epochs} epochs asked for; ask for more epochs"
            )
        for step in trainer.steps:
            step.optimizer.load_state_dict(state["optimizers"][step.node_id])
            if step.scheduler is not None and step.node_id in state["schedulers"]:
                step.scheduler.load_state_dict(state["schedulers"][step.node_id])
            if step.scaler is not None and step.node_id in state["scalers"]:
                step.scaler.load_state_dict(state["scalers"][step.node_id])
        trainer.monitor.load_state_dict(state["monitor"])
        rng = state["rng"]
        torch.set_rng_state(rng["torch"])
        trainer.shuffle_gen.set_state(rng["shuffle"])
        trainer.noise_gen.set_state(rng["noise"])
        if "cuda" in rng and trainer.device.type == "cuda":
            torch.cuda.set_rng_state(rng["cuda"], trainer.device)
        trainer.history = json.loads(state["history"])
        trainer.start_epoch = int(state["epoch"])
        trainer.step_count = int(state["step"])
