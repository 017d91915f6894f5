import pytest

from engine.graph import Graph, GraphError
from engine.registry import RegistryError


def test_generated_ids_are_readable_and_unique():
    graph = Graph()
    ids = [graph.add_node(t).id for t in ("layers.Linear", "layers.Linear", "activations.ReLU", "data.Dataset")]
    assert ids == ["fc1", "fc2", "relu1", "data1"]


def test_add_node_fills_defaults_and_refuses_duplicates_and_bad_ids():
    graph = Graph()
    node = graph.add_node("layers.Linear", {"out_features": 5}, node_id="head")
    assert node.params == {"out_features": 5, "bias": True, "init": "default", "init_std": 0.01, "trainable": True}
    with pytest.raises(GraphError, match="already exists"):
        graph.add_node("layers.Linear", node_id="head")
    with pytest.raises(GraphError, match="not a valid node id"):
        graph.add_node("layers.Linear", node_id="class")
    with pytest.raises(RegistryError, match="unknown node type"):
        graph.add_node("layers.Nope")


def test_remove_and_rename_keep_edges_consistent(mlp):
    mlp.rename_node("fc1", "hidden")
    assert ("data", "x", "hidden", "in") in [(e.src, e.src_port, e.dst, e.dst_port) for e in mlp.edges]
    mlp.remove_node("relu1")
    assert all("relu1" not in (e.src, e.dst) for e in mlp.edges)


def test_ancestors_stop_at(mlp):
    assert mlp.ancestors(["loss"]) == {"loss", "fc2", "relu1", "fc1", "data"}
    assert mlp.ancestors(["loss"], stop_at=["relu1"]) == {"loss", "fc2", "relu1", "data"}


def test_relative_dataset_paths_are_read_from_the_graph_files_folder(tmp_path, monkeypatch):
    import numpy as np

    from engine.analysis import analyze
    from engine.graph import load_graph, save_graph

    project = tmp_path / "project"
    project.mkdir()
    np.savez(project / "points.npz", x=np.zeros((10, 3), dtype=np.float32), y=np.arange(10) % 2)
    graph = Graph()
    graph.add_node("data.Dataset", {"dataset": "npz", "path": "points.npz"}, node_id="data")
    save_graph(graph, project / "net.json")
    monkeypatch.chdir(tmp_path)  # not the graph's folder
    loaded = load_graph(project / "net.json")
    assert loaded.resolved_params("data")["path"] == str(project / "points.npz")
    assert loaded.nodes["data"].params["path"] == "points.npz"  # the file keeps what the user wrote
    assert str(analyze(loaded).specs[("data", "x")]) == "B x 3"


def test_reserved_ids_are_refused_when_adding_or_renaming(mlp):
    with pytest.raises(GraphError, match="reserved"):
        mlp.add_node("layers.Linear", node_id="forward")
    with pytest.raises(GraphError, match="reserved"):
        mlp.rename_node("fc1", "training")
