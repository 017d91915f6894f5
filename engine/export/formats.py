"""Each export format: how to write the model part, and how to load the artifact back to run it.

Loading back is what verification runs right after writing, so every loader opens the file
the way a user of that format would (torch.jit.load, torch.export.load, onnxruntime,
importing the generated Python). What each format is (name, suffix, description) is said
once, in `engine.export.format_catalog`.

Every writer serializes to memory and hands the bytes to `engine.fileio`, which writes a
temporary file and renames it over the target: a failed export (a full or read-only disk)
leaves the previous file whole and raises OSError, where torch writing to the path itself
would leave it truncated or abort the process.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import importlib.util
import io
import json
import logging
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from engine.compiler import compile_graph
from engine.export.format_catalog import EXPORT_FORMATS, ONNX_OPSET, ExportFormat
from engine.export.model_part import EXAMPLE_BATCH, ExportError, ModelPart, example_inputs
from engine.fileio import atomic_write_bytes, atomic_write_files, serialized

Runner = Callable[..., torch.Tensor]


@dataclass(frozen=True)
class Format:
    """A format of the catalog with how to write the model part and load the file back to run it."""

    info: ExportFormat
    write: Callable[[ModelPart, Path], list[Path]]  # returns every file written
    load: Callable[[ModelPart, Path], Runner]

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def suffix(self) -> str:
        return self.info.suffix


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the warnings and log lines exporters print on success (deprecations, torchvision missing)."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _metadata(part: ModelPart) -> dict[str, str]:
    """Describes the model inside weights files: what goes in, what comes out."""
    inputs = [{"name": i.name, "shape": ["B", *i.spec.dims], "dtype": i.spec.dtype} for i in part.inputs]
    return {"format": "netwright-model", "graph": part.graph.name, "output": part.output, "inputs": json.dumps(inputs)}


def _fresh_model(part: ModelPart, state: dict[str, torch.Tensor]) -> Runner:
    """The graph compiled anew with `state` loaded: what a user of a weights file does."""
    model = compile_graph(part.graph, part.output, part.analysis)
    model.load_state_dict(state, strict=True)
    return model.eval()


# -- weights ----------------------------------------------------------------------------------


def _safetensors_bytes(part: ModelPart) -> bytes:
    from safetensors.torch import save

    return save({k: v.detach().contiguous() for k, v in part.program.state_dict().items()}, metadata=_metadata(part))


def _write_safetensors(part: ModelPart, path: Path) -> list[Path]:
    atomic_write_bytes(path, _safetensors_bytes(part))
    return [path]


def _load_safetensors(part: ModelPart, path: Path) -> Runner:
    from safetensors.torch import load_file

    return _fresh_model(part, load_file(str(path)))


def _write_state_dict(part: ModelPart, path: Path) -> list[Path]:
    state = {k: v.detach().clone() for k, v in part.program.state_dict().items()}
    atomic_write_bytes(path, serialized(lambda file: torch.save(state, file)))
    return [path]


def _load_state_dict(part: ModelPart, path: Path) -> Runner:
    return _fresh_model(part, torch.load(path, map_location="cpu", weights_only=True))


# -- programs ---------------------------------------------------------------------------------


def _dynamic_batch(part: ModelPart) -> dict[str, dict[int, torch.export.Dim]]:
    batch = torch.export.Dim("batch")
    return {i.name: {0: batch} for i in part.inputs}


def _write_pt2(part: ModelPart, path: Path) -> list[Path]:
    with quiet():
        program = torch.export.export(
            part.program, example_inputs(part, EXAMPLE_BATCH), dynamic_shapes=_dynamic_batch(part)
        )
        data = serialized(lambda file: torch.export.save(program, file))
    atomic_write_bytes(path, data)
    return [path]


def _load_pt2(part: ModelPart, path: Path) -> Runner:
    # Only our own file, just written: torch.export.load may fall back to full unpickling.
    with quiet():
        return torch.export.load(path).module()


def _write_torchscript(part: ModelPart, path: Path) -> list[Path]:
    # Legacy: torch.jit is deprecated in favour of torch.export; tracing keeps Netwright's
    # recurrent layers (which call super().forward) working, where scripting cannot.
    with quiet(), torch.no_grad():
        traced = torch.jit.trace(part.program, example_inputs(part, EXAMPLE_BATCH), check_trace=False)
        data = serialized(lambda file: torch.jit.save(traced, file))
    atomic_write_bytes(path, data)
    return [path]


def _load_torchscript(part: ModelPart, path: Path) -> Runner:
    with quiet():
        return torch.jit.load(str(path), map_location="cpu")


def _write_onnx(part: ModelPart, path: Path) -> list[Path]:
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as exc:
        raise ExportError(
            f"ONNX export needs the onnx and onnxscript packages ({exc.name} is missing): "
            "pip install 'netwright[export]'"
        ) from None
    if _has_plain_rnn(part):
        atomic_write_bytes(path, _legacy_onnx_bytes(part))
        return [path]
    with quiet():
        program = torch.onnx.export(
            part.program,
            example_inputs(part, EXAMPLE_BATCH),
            None,
            dynamo=True,
            opset_version=ONNX_OPSET,
            dynamic_shapes=_dynamic_batch(part),
            external_data=False,
            input_names=[i.name for i in part.inputs],
            output_names=[part.output],
            verbose=False,
        )
        data = program.model_proto.SerializeToString()  # one file, weights inside (under protobuf's 2 GB)
    atomic_write_bytes(path, data)
    return [path]


def _has_plain_rnn(part: ModelPart) -> bool:
    return any(isinstance(module, torch.nn.RNN) for module in part.program.modules())


def _legacy_onnx_bytes(part: ModelPart) -> bytes:
    """The TorchScript-based exporter's file: it keeps an Elman RNN as one ONNX `RNN` operator.

    The dynamo exporter has no translation for aten.rnn_tanh/rnn_relu and unrolls the recurrence
    into one MatMul per time step, a graph that is fixed to the example's sequence length and that
    no importer (Netwright's included) can read back as a recurrent layer. LSTM and GRU keep their
    ONNX operators under dynamo, so only graphs with a plain RNN take this path.
    """
    output_file = io.BytesIO()
    batch = {0: "batch"}
    with quiet(), torch.no_grad():
        torch.onnx.export(
            part.program,
            example_inputs(part, EXAMPLE_BATCH),
            output_file,
            dynamo=False,
            opset_version=ONNX_OPSET,
            input_names=[i.name for i in part.inputs],
            output_names=[part.output],
            dynamic_axes={**{i.name: batch for i in part.inputs}, part.output: batch},
        )
    return output_file.getvalue()


def _load_onnx(part: ModelPart, path: Path) -> Runner:
    try:
        import onnxruntime
    except ImportError:
        raise ExportError("checking an ONNX export needs onnxruntime: pip install 'netwright[export]'") from None
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]

    def run(*args: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(session.run(None, dict(zip(names, (a.numpy() for a in args), strict=True)))[0])

    return run


# -- python -----------------------------------------------------------------------------------


def _weights_beside(path: Path) -> Path:
    return path.with_suffix(".safetensors")


def _write_python(part: ModelPart, path: Path) -> list[Path]:
    from engine.export.python_source import python_source

    weights = _weights_beside(path)
    # Both or neither: the source names its weights file and expects these tensors in it.
    atomic_write_files({weights: _safetensors_bytes(part), path: python_source(part, weights.name).encode("utf-8")})
    return [path, weights]


def _load_python(part: ModelPart, path: Path) -> Runner:
    """Import the generated file under a fresh module name (never added to sys.modules)."""
    name = f"netwright_export_{uuid.uuid4().hex}"
    # An explicit source loader: the file may be named without .py (-o model.python).
    spec = importlib.util.spec_from_loader(name, importlib.machinery.SourceFileLoader(name, str(path)))
    module = importlib.util.module_from_spec(spec)
    # Checking the export must not leave a __pycache__ folder beside the user's file.
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return module.load_model()


# How to write and load back each format the catalog describes (a format without both fails at import).
_WRITE_AND_LOAD: dict[str, tuple[Callable[[ModelPart, Path], list[Path]], Callable[[ModelPart, Path], Runner]]] = {
    "safetensors": (_write_safetensors, _load_safetensors),
    "pt": (_write_state_dict, _load_state_dict),
    "pt2": (_write_pt2, _load_pt2),
    "torchscript": (_write_torchscript, _load_torchscript),
    "onnx": (_write_onnx, _load_onnx),
    "python": (_write_python, _load_python),
}
FORMATS: dict[str, Format] = {name: Format(info, *_WRITE_AND_LOAD[name]) for name, info in EXPORT_FORMATS.items()}
