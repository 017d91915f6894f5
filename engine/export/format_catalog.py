"""The formats a model exports to, described without torch: the one list the CLI and the editor offer.

`engine.export.formats` adds how to write and load each one; this module stays free of
torch so a menu or `--help` can list the formats before torch has loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

# Opset 18 is the one the dynamo exporter's op library (onnxscript torchlib) is written in, so no
# version conversion runs, and it is read by every current runtime (onnxruntime >= 1.14,
# TensorRT >= 8.6, OpenVINO); torch 2.13's default of 20 gives the same graphs here.
ONNX_OPSET = 18


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its name on the command line, its file suffix and what it holds."""

    name: str  # `--format NAME`
    suffix: str  # of the file written
    title: str  # short, for a menu
    description: str  # what the file holds and how to read it
    legacy: bool = False  # still written, but its library deprecated it: offered last, with a note

    @property
    def label(self) -> str:
        """`Title (.suffix)`, with `, legacy` where it applies: a menu entry."""
        return f"{self.title} ({self.suffix})" + (", legacy" if self.legacy else "")


# Most useful first: the order menus and help texts show.
EXPORT_FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("python", ".py", "Python file", "a standalone PyTorch file with train(), weights beside it"),
        ExportFormat("onnx", ".onnx", "ONNX", f"ONNX opset {ONNX_OPSET} with a dynamic batch axis"),
        ExportFormat("pt2", ".pt2", "torch.export program", "a torch.export program (torch.export.load(...).module())"),
        ExportFormat("safetensors", ".safetensors", "Weights only", "the trained parameters, keyed node_id.param"),
        ExportFormat(
            "pt",
            ".pt",
            "PyTorch state_dict",
            "a plain PyTorch state_dict (torch.save), for torch.load(weights_only=True)",
        ),
        ExportFormat(
            "torchscript",
            ".ts",
            "TorchScript",
            "a TorchScript module (torch.jit is deprecated; prefer pt2 or onnx)",
            legacy=True,
        ),
    )
}
