"""Scale-out with torch.distributed: one process per device, each training on its shard.

Started by torchrun (`torchrun --standalone --nproc_per_node=N -m engine train FILE --ddp
--out DIR`), which sets RANK, WORLD_SIZE and LOCAL_RANK. Each optimizer's program is
wrapped in DistributedDataParallel, with every parameter outside that optimizer's scope
ignored, so each gradient is averaged across processes exactly once per step. gloo on the
CPU, nccl on CUDA. `batch_size` is per process (the effective batch is N times larger);
the shuffled order is the same on every process and each takes every N-th sample, padded
like DistributedSampler so all take the same number of steps. Rank 0 writes the outputs.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from engine.training.errors import TrainingError

TIMEOUT = timedelta(seconds=int(os.environ.get("NETWRIGHT_DDP_TIMEOUT", "120")))


@dataclass
class Distributed:
    rank: int
    world_size: int
    device: torch.device

    @classmethod
    def from_environment(cls, device_setting: str) -> Distributed:
        """Join the process group torchrun set up; refuse to run outside torchrun."""
        missing = [k for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT") if k not in os.environ]
        if missing:
            raise TrainingError(
                "--ddp runs under torchrun (missing " + ", ".join(missing) + "): "
                "torchrun --standalone --nproc_per_node=N -m engine train FILE --ddp --out DIR"
            )
        rank, world, local = (int(os.environ[k]) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))
        use_cuda = device_setting in ("auto", "cuda") and torch.cuda.is_available()
        if device_setting == "cuda" and not use_cuda:
            raise TrainingError("device cuda was asked for, but CUDA is not available; use --device cpu")
        if device_setting == "mps":
            raise TrainingError("--ddp does not support mps; use --device cpu")
        if use_cuda:
            torch.cuda.set_device(local)
            device = torch.device("cuda", local)
        else:
            device = torch.device("cpu")
        dist.init_process_group("nccl" if use_cuda else "gloo", timeout=TIMEOUT, device_id=device if use_cuda else None)
        return cls(rank, world, device)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard_size(self, n: int) -> int:
        return -(-n // self.world_size)

    def shard(self, order: torch.Tensor) -> torch.Tensor:
        """This process's share of the epoch's order: every world_size-th index, padded to equal length."""
        total = self.shard_size(len(order)) * self.world_size
        if total > len(order):
            order = torch.cat([order, order[: total - len(order)]])
        return order[self.rank : total : self.world_size]

    def wrap(self, program: nn.Module, trained: list[nn.Parameter]) -> nn.Module:
        """DDP over `program`, averaging only the gradients of `trained` (one optimizer's scope)."""
        keep = {id(p) for p in trained}
        ignored = [name for name, p in program.named_parameters() if id(p) not in keep]
        DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(program, ignored)
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(program, device_ids=device_ids)

    def sum_metrics(self, loss_sums: list[float], correct: list[float], n: int):
        """Sum per-process loss sums, correct counts and sample counts over every process."""
        values = torch.tensor([*loss_sums, *correct, float(n)], dtype=torch.float64, device=self.device)
        dist.all_reduce(values)
        out = values.tolist()
        k = len(loss_sums)
        return out[:k], out[k:-1], int(out[-1])

    def close(self) -> None:
        if dist.is_initialized():
            dist.destroy_process_group()


def leave_rank(code: int) -> NoReturn:
    """End a torchrun rank with `code`, after its run, without the interpreter's teardown.

    gloo's worker threads release the last collective's work objects (tensors with Python
    references) on their own time; when that release races with the interpreter's finalization it
    takes the GIL from a finalizing interpreter and the rank dies with SIGABRT ("terminate called
    without an active exception"; a core dump of one, 2026-11-27: c10d AsyncAllreduceWork's
    destructor -> decref_pyobject -> take_gil -> PyThread_exit_thread; pytorch/pytorch#179291).
    It failed about 1 run in 25 of the two-process test. By now the process group is destroyed and
    rank 0 has written and closed its files, so leaving here loses nothing.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
