"""`netwright doctor`: which torch build is active and which devices it sees."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import torch

from engine.cli import doctor, main


def _fake_torch(cuda: str | None, devices: list[tuple[str, int]], mps: bool = False, hip: str | None = None):
    return SimpleNamespace(
        __version__="2.13.0+fake",
        version=SimpleNamespace(cuda=cuda, hip=hip),
        get_num_threads=lambda: 8,
        cuda=SimpleNamespace(
            is_available=lambda: bool(devices),
            device_count=lambda: len(devices),
            get_device_properties=lambda i: SimpleNamespace(name=devices[i][0], total_memory=devices[i][1]),
        ),
        backends=SimpleNamespace(mps=SimpleNamespace(is_available=lambda: mps)),
    )


def test_reports_this_interpreters_torch_build(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert f"torch               {torch.__version__} (" in out
    build = "CPU-only" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
    assert f"({build} build)" in out
    assert f"threads             {torch.get_num_threads()} " in out
    assert f"python              {sys.version.split()[0]} ({sys.executable})" in out


def test_json_report_agrees_with_torch(capsys):
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["torch"] == torch.__version__
    assert report["cuda_available"] == torch.cuda.is_available()
    assert len(report["cuda_devices"]) == (torch.cuda.device_count() if torch.cuda.is_available() else 0)
    assert set(report["packages"]) == set(doctor.OPTIONAL_PACKAGES)


def test_a_cpu_build_says_why_cuda_is_missing():
    text = doctor.format_report(doctor.collect(_fake_torch(cuda=None, devices=[])))
    assert "(CPU-only build)" in text
    assert "not available (this torch is the CPU-only build)" in text
    assert "trains on the CPU" in text


def test_a_cuda_build_lists_each_gpu_with_its_memory():
    fake = _fake_torch(cuda="12.8", devices=[("NVIDIA H100 80GB HBM3", 85 * 2**30), ("NVIDIA L4", 24 * 2**30)])
    text = doctor.format_report(doctor.collect(fake))
    lines = text.splitlines()
    cuda = lines.index("cuda                available, 2 devices")
    assert lines[cuda + 1 : cuda + 3] == [
        "                    cuda:0 NVIDIA H100 80GB HBM3 (85.0 GiB)",
        "                    cuda:1 NVIDIA L4 (24.0 GiB)",
    ]
    assert "torch               2.13.0+fake (CUDA 12.8 build)" in lines
    assert "trains on cuda (the first GPU)" in text


def test_a_cuda_build_without_a_usable_gpu_says_so():
    text = doctor.format_report(doctor.collect(_fake_torch(cuda="12.8", devices=[])))
    assert "not available (the build supports it, but no usable GPU or driver was found)" in text


def test_apple_silicon_trains_on_mps():
    report = doctor.collect(_fake_torch(cuda=None, devices=[], mps=True))
    assert report.mps_available
    assert "trains on mps" in doctor.format_report(report)


def test_rocm_builds_are_named():
    assert doctor.collect(_fake_torch(cuda=None, devices=[], hip="6.4")).build == "ROCm 6.4"


def test_without_torch_it_says_so_and_exits_1():
    code = "import sys\nsys.modules['torch'] = None\nfrom engine.cli import main\nsys.exit(main(['doctor']))\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "torch               cannot be imported: not installed" in result.stdout
    assert "Install section" in result.stdout
