"""`python -m engine sweep`: a user's mistake is one line and exit 2, before any trial starts."""

from __future__ import annotations

import pytest

from engine.cli import main
from engine.graph import save_graph
from tests.engine.conftest import make_mlp


@pytest.fixture
def mlp_file(tmp_path):
    path = tmp_path / "mlp.json"
    save_graph(make_mlp(), path)
    return path


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--param", "fc9.out_features=8,16"], "fc9.out_features: the graph has no node 'fc9'"),
        (["--param", "adam.rate=0.1"], "adam.rate: node 'adam' has no parameter 'rate'"),
        (["--param", "adam.beta1=lin:0.5:2"], "adam.beta1=lin:0.5:2: must be at most 0.9999, received 2"),
        (["--param", "adam.lr=log:1e-4"], "a range is log:LOW:HIGH or log:LOW:HIGH:N"),
        (["--param", "adam.lr=log:1e-4:1e-1", "--strategy", "grid"], "a grid needs finitely many values"),
        (["--param", "adam.lr=0.1", "--metric", "val_f1"], "the metric 'val_f1' is not measured"),
        (["--param", "adam.lr=0.1", "--name", "a/b"], "an experiment's name uses letters"),
        ([], "nothing to sweep: give --param"),
        (["--experiment", "lr"], "no experiment named 'lr' (saved: none)"),
    ],
)
def test_mistakes_exit_2_with_one_line(mlp_file, tmp_path, capsys, args, expected):
    code = main(["sweep", str(mlp_file), "--out", str(tmp_path / "exp"), "--no-progress", *args])
    err = capsys.readouterr().err
    assert code == 2 and expected in err and err.count("\n") == 1, err
    assert not (tmp_path / "exp" / "study.db").exists()  # refused before a study was made


def test_bad_numbers_on_the_command_line_are_refused_by_argparse(mlp_file, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["sweep", str(mlp_file), "--param", "adam.lr=0.1", "--trials", "0"])
    assert exit_.value.code == 2 and "expected a whole number, 1 or more" in capsys.readouterr().err
