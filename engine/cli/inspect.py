"""`python -m engine inspect RUN_DIR [--node ID] [--epoch N] --what VIEW -o OUT.png`: see inside a run.

Views, drawn as a PNG (matplotlib, no window):

- activations: the node's output on the probe samples (feature maps, unit heatmap, softmax bars);
- weights: kernel tiles, a weight matrix heatmap or bars;
- histogram: the node's weight, activation and gradient histograms and its share of zero weights;
- projection: PCA (or `--method tsne`) of the node's output on the validation set, by class;
- saliency: saliency and Grad-CAM (on --node, else the last convolution) of the probe images;
- boundary: a 2-D classifier's decision map with its data, and each unit of small layers (or --node's).

The first three read the run's recording (inspection/); the others run the trained model, at
`--epoch` from the recorded weights when given. Without --what it lists what was recorded.
A bad run folder, node or epoch is one line and exit status 2.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from engine.cli.errors import UserError
from engine.fileio import atomic_write_bytes, write_failure

RECORDED_VIEWS = ("activations", "weights", "histogram")
MODEL_VIEWS = ("projection", "saliency", "boundary")
UNRECORDED_VIEWS = ("projection", "boundary")  # these run the trained model only
VIEWS = RECORDED_VIEWS + MODEL_VIEWS


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "inspect", help="draw what a node of a trained run computes (activations, weights, projections, ...)"
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder (from train or the editor)")
    parser.add_argument("--node", help="node id (see the list printed without --what)")
    parser.add_argument("--epoch", type=int, help="recorded epoch (default: the last one; 0: before training)")
    parser.add_argument("--what", choices=VIEWS, help="what to draw; without it, list what was recorded")
    parser.add_argument("-o", "--out", help="PNG file to write")
    parser.add_argument("--method", choices=("pca", "tsne"), default="pca", help="projection: PCA or t-SNE")
    parser.add_argument("--seed", type=int, default=0, help="projection: seed of the sample choice and t-SNE")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from engine.inspection.store import InspectionError, InspectionMissing, InspectionStore

    try:
        try:
            store = InspectionStore(args.run_dir)
        except InspectionMissing:
            if args.what not in UNRECORDED_VIEWS or args.epoch is not None:
                raise
            store = None  # a projection or decision map of the final weights needs no recording
        if args.what is None:
            print(listing(store))
            return 0
        if not args.out:
            raise UserError(f"--what {args.what} needs -o OUT.png")
        if args.what in RECORDED_VIEWS + ("projection",) and not args.node:
            known = f"recorded: {', '.join(store.nodes())}" if store is not None else "see `summary` for the node ids"
            raise UserError(f"--what {args.what} needs --node ({known})")
        if args.node and store is not None:
            store.node_info(args.node)  # an unknown node: one line naming the close ones
        epoch = args.epoch
        if store is not None and (epoch is not None or args.what in RECORDED_VIEWS):
            epoch = store.latest_epoch() if epoch is None else epoch
            if epoch not in store.epochs():
                store.read(epoch, args.node or "")  # raises: one line naming the nearest recorded epoch
        png = _draw(args, store, epoch)
    except InspectionError as exc:
        raise UserError(str(exc)) from None
    except _model_errors() as exc:
        raise UserError(str(exc)) from None
    out = Path(args.out)
    try:
        atomic_write_bytes(out, png)
    except OSError as exc:
        raise UserError(write_failure(exc, out)) from None
    print(f"wrote {out}")
    return 0


def listing(store) -> str:
    epochs = store.epochs()
    lines = [f"recorded epochs: {', '.join(map(str, epochs)) or 'none yet'}"]
    for node_id in store.nodes():
        entry = store.node_info(node_id)
        shape = entry.get("full_shape")
        lines.append(f"  {node_id:<16} {entry['type']:<28} {shape!s:<16} {', '.join(entry['recorded'])}")
    return "\n".join(lines)


def _draw(args, store, epoch: int) -> bytes:
    from engine.inspection import figures

    node, what = args.node, args.what
    if what in RECORDED_VIEWS:
        record = store.read(epoch, node)
        title = f"{node} ({store.node_info(node)['type'].rsplit('.', 1)[-1]}), epoch {epoch}"
        try:
            if what == "activations":
                probe = store.probe()
                return figures.activations_png(record, title, probe.targets, store.class_names)
            if what == "weights":
                return figures.weights_png(record, title)
            return figures.histograms_png(record, title)
        except ValueError as exc:
            raise UserError(f"{node}: {exc} (it has: {', '.join(store.node_info(node)['recorded'])})") from None
    trained = _trained(args, store)
    when = f"epoch {args.epoch}" if args.epoch is not None else "final weights"
    names = store.class_names if store is not None else (trained.class_names or None)
    if node and node not in trained.graph.nodes:
        close = difflib.get_close_matches(node, list(trained.graph.nodes), n=3, cutoff=0.5)
        raise UserError(
            f"the run's graph has no node {node!r}" + (f"; did you mean {', '.join(close)}?" if close else "")
        )
    if what == "projection":
        from engine.inspection.projection import project

        projection = project(trained, trained.data, node, args.method, args.seed)
        projection.class_names = projection.class_names or names
        return figures.projection_png(projection, f"{node}, {when}")
    if what == "saliency":
        import torch

        from engine.inspection.attribution import explain

        probe = store.probe()
        if probe.inputs.ndim != 4:
            raise UserError(
                f"saliency needs image inputs [channels, height, width]; this run's are {list(probe.inputs.shape[1:])}"
            )
        attributions = explain(trained, torch.from_numpy(probe.inputs), node)
        return figures.attributions_png(attributions, f"saliency and Grad-CAM, {when}", store.class_names)
    from engine.inspection.boundary import bounds_of, decision_map, require_two_features, small_layers

    require_two_features(trained)
    prediction = trained.prediction_node
    units = [node] if node else small_layers(trained, prediction)
    points = trained.raw_x(trained.data.val_x if len(trained.data.val_x) else trained.data.train_x)
    labels = trained.data.val_y if len(trained.data.val_x) else trained.data.train_y
    view = decision_map(trained, bounds_of(trained.raw_x(trained.data.train_x)), 64, units, prediction)
    return figures.boundary_png(view, points.numpy(), labels.numpy(), f"decision map, {when}", names)


def _trained(args, store):
    from engine.inspection.replay import load_epoch_weights
    from engine.inspection.trained import load_trained_run

    # at a recorded epoch, a run still training will do: that epoch's weights are in the recording
    trained = load_trained_run(args.run_dir, require_weights=args.epoch is None)
    if args.epoch is not None:
        load_epoch_weights(trained, store, args.epoch)
    return trained


def _model_errors() -> tuple[type[BaseException], ...]:
    from engine.inspection.attribution import AttributionError
    from engine.inspection.boundary import BoundaryError
    from engine.inspection.projection import ProjectionError
    from engine.inspection.trained import RunReadError

    return (RunReadError, ProjectionError, AttributionError, BoundaryError)
