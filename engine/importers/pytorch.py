"""Import a PyTorch nn.Module as a graph with its weights, checked against the original.

    result = import_module(Net(), input_shape=(1, 28, 28))
    result.graph, result.weights, result.max_abs_diff, result.notes

The steps, each in its own module: load and construct the model (pytorch_loading), trace it
(pytorch_trace: torch.fx, or torch.export where fx meets control flow), map the traced calls onto
registry nodes (pytorch_mapper), group the nodes into blocks after the submodules and lay the
levels out (pytorch_blocks); then validate, compile with the weights and compare with the original.

Loading a model from a Python file runs that file: importing code executes it by design.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp

from engine.importers.common import (
    ImportResult,
    ModelImportError,
    check_graph,
    checked_match,
    compiled_with_weights,
    layout,
)
from engine.importers.pytorch_blocks import group_by_module, lay_out_levels
from engine.importers.pytorch_loading import load_factory, load_model_class
from engine.importers.pytorch_mapper import Mapper
from engine.importers.pytorch_trace import FX, LeafTracer, TraceFailed, trace_model

EXAMPLE_BATCH = 2


def import_pytorch(
    source: str,
    class_name: str | None,
    input_shape: Sequence[int],
    weights: str | None = None,
    *,
    init_args: dict[str, Any] | None = None,
    factory: str | None = None,
    input_dtype: str | None = None,
) -> ImportResult:
    """Load, construct (with `init_args` as keyword arguments), optionally load a state_dict, and import.

    The model is `class_name(**init_args)`, or what the function `factory(**init_args)` returns.
    """
    init_args = dict(init_args or {})
    build = load_factory(source, factory) if factory else load_model_class(source, class_name)
    call = f"{factory or build.__name__}({', '.join(f'{k}={v!r}' for k, v in init_args.items())})"
    try:
        model = build(**init_args)
    except Exception as exc:
        hint = ""
        if isinstance(exc, TypeError) and not init_args:
            hint = " (pass constructor arguments as JSON: --init-args '{\"name\": value}')"
        raise ModelImportError(f"{call} failed: {type(exc).__name__}: {_first(exc)}{hint}") from None
    if not isinstance(model, nn.Module):
        raise ModelImportError(f"{call} returned {type(model).__name__}, not an nn.Module")
    if weights:
        from engine.weights import WeightsFileError, read_weights

        try:
            model.load_state_dict(read_weights(weights))
        except WeightsFileError as exc:  # its message names the file already
            raise ModelImportError(str(exc)) from None
        except RuntimeError as exc:
            raise ModelImportError(f"{weights}: {_first(exc)}") from None
    name = type(model).__name__
    try:
        return import_module(model, input_shape, name=name, input_dtype=input_dtype)
    except ModelImportError:
        raise
    except Exception as exc:  # an importer bug must still reach the user as one line
        raise ModelImportError(
            f"cannot import {name}: the importer failed with {type(exc).__name__}: {_first(exc)} (please report this)"
        ) from None


# -- tracing and mapping --------------------------------------------------------------------------------

INPUT_DTYPES = ("float", "long")


def import_module(
    model: nn.Module,
    input_shape: Sequence[int],
    name: str | None = None,
    input_dtype: str | None = None,
    blocks: bool = True,
) -> ImportResult:
    """Map `model` (taking one input of `input_shape`, without the batch) onto a graph with its weights.

    `input_dtype` "long" feeds integer ids (inferred when the model's first layer is an Embedding);
    with `blocks`, the submodules the model is built from become blocks of the graph.
    """
    name = name or type(model).__name__
    model = model.eval()
    shape = tuple(int(d) for d in input_shape)
    if not shape or any(d < 1 for d in shape):
        raise ModelImportError(f"input shape {list(shape)}: give the size of one sample, e.g. 1,28,28")
    _refuse_tied_weights(model, name)
    input_params = _input_params(model, shape, input_dtype)
    example = _example(input_params)
    try:
        trace = trace_model(model, example, name)
    except TraceFailed as exc:
        raise ModelImportError(f"cannot import {name}: {exc}") from None
    try:
        with torch.no_grad():
            traced_output = ShapeProp(trace.module).propagate(example.clone())
    except Exception as exc:
        raise ModelImportError(
            f"{name} does not run on {input_params['dtype']} inputs of shape {['B', *shape]}: "
            f"{type(exc).__name__}: {_first(exc)}"
        ) from None
    mapper = Mapper(trace.module, name, input_params)
    output = mapper.run()
    graph = mapper.builder.graph
    unused = _drop_unused(graph, output, mapper.builder.weights)
    if blocks:
        group_by_module(graph, mapper.scopes, model)
    check_graph(graph, name)
    if graph.blocks:
        lay_out_levels(graph)  # each level as the editor draws it: collapsed blocks among their neighbours
    else:
        layout(graph)
    module = compiled_with_weights(graph, output, mapper.builder.weights)
    with torch.no_grad():
        # torch.fx's program is the model's own forward, code for code: its output from the shape pass is the
        # reference (one forward less, a third of a large model's import); what torch.export gave was
        # rebuilt here from operators, so that is checked against the model itself.
        expected = traced_output if trace.tracer == FX else model(example.clone())
        got = module(example.clone())
    if not isinstance(expected, torch.Tensor) or expected.shape != got.shape:
        raise ModelImportError(
            f"cannot import {name}: the imported graph gives {list(got.shape)}, the model "
            f"{getattr(expected, 'shape', type(expected).__name__)}"
        )
    max_abs, max_rel = checked_match(name, "the model", expected, got)
    notes = [f"traced with {trace.tracer}"]
    if trace.fx_failure:
        notes[0] += f" (torch.fx could not: {trace.fx_failure}); branches on Python values were taken as they ran"
    if mapper.kept:
        notes.append(
            f"kept whole as PyTorch module nodes (no Netwright node; they train and export, their shape rule "
            f"is the imported one): {', '.join(mapper.kept)}"
        )
    if unused:
        notes.append(f"left out, computed in eval mode but never used by the output: {', '.join(unused)}")
    return ImportResult(graph, mapper.builder.weights, output, max_abs, max_rel, notes)


def _drop_unused(graph, output: str, weights: dict[str, torch.Tensor]) -> list[str]:
    """Remove the nodes the output does not depend on (a VAE's log-variance head in eval mode), with their weights."""
    needed = graph.ancestors([output])
    unused = [n for n in graph.nodes if n not in needed]
    for node_id in unused:
        graph.remove_node(node_id)
        for key in [k for k in weights if k.startswith(f"{node_id}.")]:
            del weights[key]
    return unused


def _refuse_tied_weights(model: nn.Module, name: str) -> None:
    """Two layers holding one tensor (a language model's tied encoder and decoder) cannot be two nodes."""
    first_holder: dict[int, str] = {}
    tied = []
    for key, value in model.named_parameters(remove_duplicate=False):
        holder = first_holder.setdefault(id(value), key)
        if holder != key:
            tied.append(f"{key} is {holder}")
    if tied:
        raise ModelImportError(
            f"cannot import {name}: tied weights ({'; '.join(tied)}): every Netwright node has its own weights, "
            "so they would train apart (untie them, e.g. tie_weights=False, to import)"
        )


def _input_params(model: nn.Module, shape: tuple[int, ...], dtype: str | None) -> dict[str, Any]:
    """The Input node's params: float features, or integer ids when asked or when an Embedding comes first."""
    first = next((m for m in model.modules() if not list(m.children()) and any(True for _ in m.parameters())), None)
    if dtype is None:
        dtype = "long" if isinstance(first, nn.Embedding) else "float"
    if dtype not in INPUT_DTYPES:
        raise ModelImportError(f"input dtype {dtype!r}: expected one of {', '.join(INPUT_DTYPES)}")
    params: dict[str, Any] = {"shape": list(shape), "dtype": dtype}
    if dtype == "long":
        embedding = next((m for m in model.modules() if isinstance(m, nn.Embedding)), None)
        params["num_classes"] = embedding.num_embeddings if embedding is not None else 10
    return params


def _example(input_params: dict[str, Any]) -> torch.Tensor:
    size = (EXAMPLE_BATCH, *input_params["shape"])
    generator = torch.Generator().manual_seed(0)
    if input_params["dtype"] == "long":
        return torch.randint(0, input_params["num_classes"], size, generator=generator)
    return torch.randn(size, generator=generator)


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


__all__ = ["LeafTracer", "import_module", "import_pytorch", "load_factory", "load_model_class"]
