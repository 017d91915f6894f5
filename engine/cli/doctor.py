"""`netwright doctor` (`python -m engine doctor`): which Python, which PyTorch build, which devices.

The question behind it is almost always "did I get the CPU or the CUDA build, and does it see my
GPU?": an unpinned `pip install torch` can pull a multi-GB CUDA build onto a laptop, and a CPU
build on a GPU machine trains slowly without saying why. Exits 1 when torch cannot be imported.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

import engine

OPTIONAL_PACKAGES = {
    # distribution -> the extra that installs it
    "PySide6-Essentials": "gui",
    "NodeGraphQt": "gui",
    "pyqtgraph": "gui",
    "onnx": "export",
    "onnxscript": "export",
    "onnxruntime": "export",
}


@dataclass
class Report:
    netwright: str
    python: str
    python_executable: str
    platform: str
    cpus: int | None
    torch: str | None = None
    torch_error: str | None = None
    build: str | None = None  # "CPU-only", "CUDA 12.8", "ROCm 6.4"
    cuda_available: bool = False
    cuda_devices: list[str] = field(default_factory=list)
    mps_available: bool = False
    threads: int | None = None
    packages: dict[str, str | None] = field(default_factory=dict)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "doctor", help="show the Python, PyTorch build (CPU or CUDA), devices and optional packages in use"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=run)


def run(args) -> int:
    report = collect()
    print(json.dumps(asdict(report), indent=2) if args.json else format_report(report))
    return 0 if report.torch is not None else 1


def collect(torch_module: Any | None = None) -> Report:
    """What this interpreter has; `torch_module` stands in for torch in tests."""
    report = Report(
        netwright=engine.__version__,
        python=platform.python_version(),
        python_executable=sys.executable,
        platform=f"{platform.system()} {platform.machine()}",
        cpus=os.cpu_count(),
        packages={name: _version(name) for name in OPTIONAL_PACKAGES},
    )
    torch = torch_module
    if torch is None:
        try:
            import torch
        except Exception as exc:  # a broken install raises more than ImportError (missing libraries, OSError)
            missing = isinstance(exc, ImportError) and exc.name == "torch"
            report.torch_error = "not installed" if missing else f"{type(exc).__name__}: {exc}".splitlines()[0]
            return report
    report.torch = str(torch.__version__)
    report.threads = torch.get_num_threads()
    if getattr(torch.version, "hip", None):
        report.build = f"ROCm {torch.version.hip}"
    elif torch.version.cuda:
        report.build = f"CUDA {torch.version.cuda}"
    else:
        report.build = "CPU-only"
    report.cuda_available = bool(torch.cuda.is_available())
    if report.cuda_available:
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            report.cuda_devices.append(f"cuda:{index} {props.name} ({props.total_memory / 2**30:.1f} GiB)")
    mps = getattr(torch.backends, "mps", None)
    report.mps_available = bool(mps is not None and mps.is_available())
    return report


def format_report(report: Report) -> str:
    rows = [
        ("netwright", report.netwright),
        ("python", f"{report.python} ({report.python_executable})"),
        ("platform", f"{report.platform}, {report.cpus or '?'} CPUs"),
    ]
    if report.torch is None:
        rows.append(("torch", f"cannot be imported: {report.torch_error}"))
        rows.append(("", "install it first: see the README's Install section (CPU or GPU build)"))
    else:
        rows.append(("torch", f"{report.torch} ({report.build} build)"))
        rows.append(("cuda", _cuda_line(report)))
        rows.extend(("", device) for device in report.cuda_devices)
        rows.append(("mps", "available" if report.mps_available else "not available"))
        rows.append(("threads", f"{report.threads} (torch's intra-op threads)"))
        rows.append(("device auto", f"trains on {_training_device(report)}"))
    for name, extra in OPTIONAL_PACKAGES.items():
        rows.append((name, report.packages.get(name) or f"not installed (the {extra} extra)"))
    width = max(len(label) for label, _value in rows) + 2
    return "\n".join(f"{label:<{width}}{value}".rstrip() for label, value in rows)


def _cuda_line(report: Report) -> str:
    if report.cuda_available:
        count = len(report.cuda_devices)
        return f"available, {count} device{'s' if count != 1 else ''}"
    if report.build == "CPU-only":
        return "not available (this torch is the CPU-only build)"
    return "not available (the build supports it, but no usable GPU or driver was found)"


def _training_device(report: Report) -> str:
    if report.cuda_available:
        return "cuda (the first GPU)"
    return "mps" if report.mps_available else "the CPU"


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
