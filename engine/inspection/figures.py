"""PNG pictures of what `python -m engine inspect` shows, drawn with matplotlib's Agg backend.

Each function takes the engine's own data (a NodeRecord, a Projection, Attributions, a
DecisionMap) and returns PNG bytes, so the caller writes them atomically; no window opens.
"""

from __future__ import annotations

import io

import numpy as np

from engine.inspection.store import NodeRecord

MAX_SAMPLES = 8  # probe samples shown in a grid
MAX_CHANNELS = 16  # feature maps or kernels per row


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)  # files only: no display needed, none opened
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    _pyplot().close(fig)
    return buffer.getvalue()


def _class(names: list[str] | None, index: int) -> str:
    return names[index] if names and 0 <= index < len(names) else str(index)


def activations_png(record: NodeRecord, title: str, targets: np.ndarray | None, names: list[str] | None) -> bytes:
    """Feature maps (samples x channels) for images, a samples x units heatmap otherwise, softmax bars at the output."""
    plt = _pyplot()
    values = record.activations
    if values is None:
        raise ValueError("nothing per sample was recorded for this node")
    n = min(len(values), MAX_SAMPLES)
    label = [f"#{i}" + (f" ({_class(names, int(targets[i]))})" if targets is not None else "") for i in range(n)]
    if record.softmax is not None:
        classes = record.softmax.shape[1]
        fig, axes = plt.subplots(n, 1, figsize=(max(4, 0.45 * classes), 1.1 * n), squeeze=False, sharex=True)
        for i in range(n):
            ax = axes[i, 0]
            truth = int(targets[i]) if targets is not None and targets.ndim == 1 else -1
            colours = ["#dd8452" if c == truth else "#4c72b0" for c in range(classes)]
            ax.bar(range(classes), record.softmax[i], color=colours)
            ax.set_ylim(0, 1)
            ax.set_ylabel(label[i], rotation=0, ha="right", va="center", fontsize=8)
            ax.set_yticks([])
        axes[-1, 0].set_xticks(range(classes), [_class(names, c) for c in range(classes)], rotation=45, fontsize=8)
        fig.suptitle(f"{title}: softmax per probe sample (orange: the true class)")
        return _png(fig)
    if values.ndim == 4:  # [samples, channels, h, w]
        channels = min(values.shape[1], MAX_CHANNELS)
        fig, axes = plt.subplots(n, channels, figsize=(0.9 * channels + 1, 0.9 * n + 0.6), squeeze=False)
        for i in range(n):
            for c in range(channels):
                ax = axes[i, c]
                ax.imshow(values[i, c], cmap="viridis")
                ax.set_xticks([])
                ax.set_yticks([])
                if c == 0:
                    ax.set_ylabel(label[i], rotation=0, ha="right", va="center", fontsize=7)
                if i == 0:
                    ax.set_title(f"ch {c}", fontsize=7)
        fig.suptitle(f"{title}: feature maps (rows: probe samples)")
        return _png(fig)
    if values.ndim == 3:  # [samples, steps, features]
        fig, axes = plt.subplots(1, min(n, 4), figsize=(3.2 * min(n, 4), 3), squeeze=False)
        for i, ax in enumerate(axes[0]):
            image = ax.imshow(values[i].T, aspect="auto", cmap="RdBu_r")
            ax.set_title(label[i], fontsize=8)
            ax.set_xlabel("step")
            ax.set_ylabel("feature")
        fig.colorbar(image, ax=axes[0].tolist())
        fig.suptitle(f"{title}: outputs over time")
        return _png(fig)
    flat = values.reshape(len(values), -1)[:n]
    fig, ax = plt.subplots(figsize=(min(12, 2 + 0.08 * flat.shape[1]), 0.35 * n + 1.5))
    bound = float(np.abs(flat).max()) or 1.0
    image = ax.imshow(flat, aspect="auto", cmap="RdBu_r", vmin=-bound, vmax=bound)
    ax.set_yticks(range(n), label, fontsize=7)
    ax.set_xlabel("unit")
    fig.colorbar(image, ax=ax)
    ax.set_title(f"{title}: output per unit (rows: probe samples)")
    return _png(fig)


def weights_png(record: NodeRecord, title: str) -> bytes:
    """Kernel tiles for convolutions, a heatmap for matrices, bars for vectors (biases, batch-norm scales)."""
    plt = _pyplot()
    if not record.weights:
        raise ValueError("this node has no weights")
    main_name = "weight" if "weight" in record.weights else next(iter(record.weights))
    w = record.weights[main_name]
    if w.ndim == 4:  # [out, in, kh, kw]: one tile per output channel and (up to 8) input channels
        outs, ins = min(w.shape[0], 32), min(w.shape[1], 8)
        fig, axes = plt.subplots(ins, outs, figsize=(0.6 * outs + 1, 0.6 * ins + 0.8), squeeze=False)
        bound = float(np.abs(w).max()) or 1.0
        for i in range(ins):
            for o in range(outs):
                ax = axes[i, o]
                ax.imshow(w[o, i], cmap="RdBu_r", vmin=-bound, vmax=bound)
                ax.set_xticks([])
                ax.set_yticks([])
        fig.suptitle(f"{title}: {main_name} kernels (columns: output channels, rows: input channels)")
        return _png(fig)
    if w.ndim >= 2:
        matrix = w.reshape(w.shape[0], -1)
        fig, ax = plt.subplots(figsize=(min(14, 2 + 0.05 * matrix.shape[1]), min(10, 1.5 + 0.05 * matrix.shape[0])))
        bound = float(np.abs(matrix).max()) or 1.0
        image = ax.imshow(matrix, aspect="auto", cmap="RdBu_r", vmin=-bound, vmax=bound)
        ax.set_xlabel("input")
        ax.set_ylabel("output unit")
        fig.colorbar(image, ax=ax)
        ax.set_title(f"{title}: {main_name} {list(w.shape)}")
        return _png(fig)
    fig, axes = plt.subplots(len(record.weights), 1, figsize=(8, 1.8 * len(record.weights)), squeeze=False)
    for ax, (name, values) in zip(axes[:, 0], record.weights.items(), strict=True):
        ax.bar(range(values.size), values.reshape(-1), color="#4c72b0")
        ax.set_title(name, fontsize=9)
    fig.suptitle(f"{title}: weights")
    return _png(fig)


def histograms_png(record: NodeRecord, title: str) -> bytes:
    """The node's weight, activation and gradient histograms side by side."""
    plt = _pyplot()
    kinds = [k for k in ("weights", "activations", "gradients") if k in record.histograms]
    if not kinds:
        raise ValueError("no histograms were recorded for this node")
    fig, axes = plt.subplots(1, len(kinds), figsize=(4 * len(kinds), 3), squeeze=False)
    for ax, kind in zip(axes[0], kinds, strict=True):
        counts, edges = record.histograms[kind]
        ax.stairs(counts, edges, fill=True, color="#4c72b0")
        ax.set_title(kind)
        ax.set_yscale("symlog")
    extra = f", {record.zero_weight_share:.1%} of weights exactly zero" if record.zero_weight_share is not None else ""
    fig.suptitle(f"{title}{extra}", y=1.06)
    return _png(fig)


def projection_png(projection, title: str) -> bytes:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    points = projection.points
    if projection.labels is None:
        ax.scatter(points[:, 0], points[:, 1], s=8, color="#4c72b0")
    else:
        cmap = plt.get_cmap("tab10" if projection.labels.max() < 10 else "tab20")
        for c in np.unique(projection.labels):
            mask = projection.labels == c
            name = _class(projection.class_names, int(c))
            ax.scatter(points[mask, 0], points[mask, 1], s=8, color=cmap(int(c) % cmap.N), label=name)
        ax.legend(fontsize=7, markerscale=2, loc="best")
    if projection.explained_variance is not None:
        ev = projection.explained_variance
        ax.set_xlabel(f"PC 1 ({ev[0]:.0%} of the variance)")
        ax.set_ylabel(f"PC 2 ({ev[1]:.0%})")
    ax.set_title(f"{title}: {projection.method.upper()} of {len(points)} {projection.split} samples")
    return _png(fig)


def attributions_png(attributions, title: str, names: list[str] | None) -> bytes:
    """Per probe sample: the input, |saliency| and the Grad-CAM heatmap over the input."""
    plt = _pyplot()
    n = min(len(attributions.inputs), MAX_SAMPLES)
    columns = 3 if attributions.grad_cam is not None else 2
    fig, axes = plt.subplots(n, columns, figsize=(2.2 * columns, 2.1 * n), squeeze=False)
    for i in range(n):
        image = _as_image(attributions.inputs[i])
        heat = np.abs(attributions.saliency[i]).reshape(attributions.saliency[i].shape)
        heat = heat.max(axis=0) if heat.ndim == 3 else heat
        panels = [
            (image, "gray", f"predicted {_class(names, int(attributions.target[i]))}"),
            (heat, "hot", "|saliency|"),
        ]
        for ax, (picture, cmap, label) in zip(axes[i], panels, strict=False):
            ax.imshow(picture, cmap=cmap)
            ax.set_title(label, fontsize=8)
        if attributions.grad_cam is not None:
            ax = axes[i, 2]
            ax.imshow(image, cmap="gray")
            ax.imshow(attributions.grad_cam[i], cmap="jet", alpha=0.5)
            ax.set_title(f"Grad-CAM ({attributions.layer})", fontsize=8)
        for ax in axes[i]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(title)
    return _png(fig)


def boundary_png(view, points: np.ndarray, labels: np.ndarray | None, title: str, names: list[str] | None) -> bytes:
    """The decision map with the data on it, and beside it one row of small maps per small layer (one per unit)."""
    plt = _pyplot()
    nodes = list(view.units)
    width = max((len(view.units[n]) for n in nodes), default=0)
    fig = plt.figure(figsize=(6 + (0.9 * width + 0.5 if nodes else 0), max(5, 0.95 * len(nodes) + 0.5)))
    grid = fig.add_gridspec(max(1, len(nodes)), 1 + width, width_ratios=[6] + [0.9] * width, wspace=0.15)
    main = fig.add_subplot(grid[:, 0])
    classes = view.probabilities.shape[-1]
    cmap = plt.get_cmap("tab10")
    colours = np.array([cmap(c % 10)[:3] for c in range(classes)])
    confidence = view.probabilities.max(-1, keepdims=True)
    picture = colours[view.predicted] * confidence + (1 - confidence)  # pale where the model is unsure
    main.imshow(picture, origin="lower", extent=view.extent, aspect="auto")
    if labels is not None:
        for c in range(classes):
            mask = labels == c
            main.scatter(
                points[mask, 0],
                points[mask, 1],
                s=6,
                color=colours[c],
                edgecolor="k",
                linewidth=0.3,
                label=_class(names, c),
            )
        main.legend(fontsize=7, loc="upper right")
    main.set_title(title)
    for row, node in enumerate(nodes):
        for u, unit_map in enumerate(view.units[node]):
            ax = fig.add_subplot(grid[row, 1 + u])
            ax.imshow(unit_map, origin="lower", cmap="RdBu_r", aspect="auto")
            ax.set_xticks([])
            ax.set_yticks([])
            if u == 0:
                ax.set_ylabel(node, fontsize=7)
    return _png(fig)


def _as_image(sample: np.ndarray) -> np.ndarray:
    if sample.ndim == 3 and sample.shape[0] in (1, 3):
        return sample[0] if sample.shape[0] == 1 else np.clip(np.moveaxis(sample, 0, -1), 0, 1)
    return sample.reshape(sample.shape[-2:]) if sample.ndim >= 2 else sample.reshape(1, -1)
