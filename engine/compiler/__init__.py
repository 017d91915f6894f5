"""Compile graphs to torch.fx GraphModules (this is where torch comes in)."""

from engine.compiler.compile import (
    CompileError,
    build_modules,
    class_name,
    compile_graph,
    default_outputs,
    input_name,
    model_output,
)

__all__ = [
    "CompileError",
    "build_modules",
    "class_name",
    "compile_graph",
    "default_outputs",
    "input_name",
    "model_output",
]
