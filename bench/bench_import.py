"""How long does importing a ResNet-50 take, and where does the time go? Against torch's own tracers.

    python bench/bench_import.py                  # 3x64x64 images, 3 repeats
    python bench/bench_import.py --image 224 --repeats 1

The model is ResNet-50's layout (Bottleneck blocks 3-4-6-3, width 64, 1000 classes, 25.6M
parameters) from tests/engine/importers/models/zoo.py (torchvision does not import beside CPU
torch here). In the same run, medians of `--repeats`:

- `import_module`: Netwright's whole import (trace, shapes, mapping onto registry nodes, blocks,
  validation, layout, compile, and the check against the original's output), with the time of
  each stage measured by wrapping the functions the importer calls;
- baselines: `torch.fx.symbolic_trace` alone (the tracing any fx-based importer starts with),
  symbolic_trace + one forward of the original (the least an importer that checks its result
  must do), and `torch.export.export` (the fallback tracer).

Ratios are import time / baseline time, measured in the same process one after the other.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from torch import fx  # noqa: E402

import engine.importers.pytorch as pytorch_importer  # noqa: E402
from engine.importers import import_module  # noqa: E402
from tests.engine.importers.models.zoo import resnet50_like  # noqa: E402

STAGES = {  # name in engine.importers.pytorch -> stage label
    "trace_model": "trace (torch.fx)",
    "group_by_module": "blocks",
    "check_graph": "validate",
    "layout": "layout",
    "compiled_with_weights": "compile",
    "checked_match": "compare",
}


def _timed_stages(spent: dict[str, float]) -> dict:
    """Wrap the importer's stage functions so each call adds its seconds to `spent`; returns the originals."""
    originals = {}
    for name, label in STAGES.items():
        original = getattr(pytorch_importer, name)
        originals[name] = original

        def wrapper(*args, _original=original, _label=label, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_label] += time.perf_counter() - started

        setattr(pytorch_importer, name, wrapper)
    return originals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=int, default=64, help="image side (3 x N x N inputs)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = resnet50_like().eval()
    shape = (3, args.image, args.image)
    example = torch.randn(2, *shape)
    parameters = sum(p.numel() for p in model.parameters())
    print(
        f"ResNet-50-like: {parameters / 1e6:.1f}M parameters, input [B, {', '.join(map(str, shape))}], "
        f"{torch.get_num_threads()} torch threads, {args.repeats} repeats"
    )

    timings: dict[str, list[float]] = defaultdict(list)
    stages: list[dict[str, float]] = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        fx.symbolic_trace(model)
        timings["fx.symbolic_trace"].append(time.perf_counter() - started)

        started = time.perf_counter()
        fx.symbolic_trace(model)
        with torch.no_grad():
            model(example)
        timings["symbolic_trace + 1 forward"].append(time.perf_counter() - started)

        started = time.perf_counter()
        torch.export.export(model, (example,), strict=False)
        timings["torch.export.export"].append(time.perf_counter() - started)

        spent: dict[str, float] = defaultdict(float)
        originals = _timed_stages(spent)
        try:
            started = time.perf_counter()
            result = import_module(model, shape)
            timings["Netwright import_module"].append(time.perf_counter() - started)
        finally:
            for name, original in originals.items():
                setattr(pytorch_importer, name, original)
        stages.append(dict(spent))

    imported = statistics.median(timings["Netwright import_module"])
    print(
        f"imported: {len(result.graph.nodes)} nodes in {len(result.graph.blocks)} blocks, "
        f"max abs diff {result.max_abs_diff:.3g}, max rel diff {result.max_rel_diff:.3g}"
    )
    print(f"{'step':32} {'median s':>9} {'import / this':>14}")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:32} {median:9.2f} {imported / median:14.2f}")
    print("import_module by stage (median s; the rest is shape propagation, mapping and the forwards):")
    for label in STAGES.values():
        print(f"  {label:30} {statistics.median(s.get(label, 0.0) for s in stages):9.2f}")


if __name__ == "__main__":
    main()
