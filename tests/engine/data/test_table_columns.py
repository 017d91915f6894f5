"""Tables: each column's kind detected, the `columns` setting read, and one line naming the column when wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.data import DataError, describe, load_dataset
from engine.data.table_columns import ColumnChoice, parse_column_settings, profile_column, with_column_setting
from engine.registry import catalog

PEOPLE = """age,city,member,income,const,id,species
31,Paris,yes,1000,7,a1,cat
NA,Rome,no,,7,a2,dog
45,Paris,yes,3000,7,a3,cat
22,,no,1500,7,a4,dog
38,Berlin,yes,2500,7,a5,bird
51,Rome,no,4000,7,a6,cat
29,Paris,yes,,7,a7,dog
40,Berlin,no,3500,7,a8,cat
"""


def cells(*values) -> np.ndarray:
    return np.array(values, dtype=object)


def test_kinds_are_detected_from_the_cells():
    assert profile_column("a", cells("1", "2.5", "NA", "-3")).kind == "numeric"
    assert profile_column("a", cells("yes", "no", "", "Yes")).kind == "boolean"
    city = profile_column("a", cells("Rome", "Paris", "?", "Rome"))
    assert city.kind == "categorical" and city.categories == ("Paris", "Rome") and city.missing_count == 1
    assert list(city.codes[[0, 1, 3]]) == [1, 0, 1] and np.isnan(city.codes[2])
    assert profile_column("a", cells("7", "7", "7")).kind == "constant"
    assert profile_column("a", cells("", "NA", "?")).kind == "empty"
    assert profile_column("a", cells("yes", "no", "true")).kind == "categorical"  # two vocabularies: categories


def test_typed_parquet_columns_keep_their_kind():
    assert profile_column("n", np.array([1.0, np.nan, 3.0])).kind == "numeric"
    assert profile_column("b", np.array([True, False, True])).kind == "boolean"
    forced = profile_column("n", np.array([3.0, 1.0, 3.0]), forced_text=True)
    assert forced.kind == "categorical" and forced.categories == ("1", "3")


def test_column_settings_are_read_per_column():
    choices = parse_column_settings("id: exclude; city: embed most_frequent\n age : median")
    assert choices == {
        "id": ColumnChoice(use="exclude"),
        "city": ColumnChoice(encode="embed", missing="most_frequent"),
        "age": ColumnChoice(missing="median"),
    }
    assert parse_column_settings("time: 12:00: exclude") == {"time: 12:00": ColumnChoice(use="exclude")}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("city: onehto", "columns: 'city: onehto' has an unknown setting 'onehto'"),
        ("city onehot", "needs a column name, a colon and settings"),
        ("city: onehot embed", "sets encode twice (onehot and embed)"),
        ("city: onehot; city: median", "'city' is set twice"),
        ("city:", "names no setting"),
    ],
)
def test_bad_column_settings_say_which_entry(text, expected):
    with pytest.raises(DataError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        parse_column_settings(text)


@pytest.mark.parametrize(
    "settings, expected",
    [
        (
            {"columns": "id: exclude; town: exclude"},
            "columns names 'town', which 'people.csv' does not have (columns: age, city",
        ),
        ({}, "'people.csv' column 'age' has a missing value on line 3 (1 in all)"),
        (
            {"missing": "median", "columns": "id: exclude; city: median"},
            "columns: 'city: median' cannot fill column 'city'",
        ),
        (
            {"missing": "mean", "columns": "id: exclude; species: median"},
            "the target 'species' cannot be filled (median)",
        ),
        ({"missing": "mean", "columns": "id: exclude; species: exclude"}, "'species' is the target column"),
        ({"missing": "mean", "columns": "id: exclude; city: embed"}, "column 'city' is set to embed"),
    ],
)
def test_table_mistakes_name_the_column(write_csv, settings, expected):
    path = write_csv(PEOPLE, "people.csv")
    with pytest.raises(DataError) as caught:
        describe({"dataset": "csv", "path": str(path), "columns": "id: exclude", **settings})
    message = str(caught.value)
    assert expected in message and "\n" not in message


def test_a_column_of_ids_or_free_text_is_not_encoded_unless_asked(write_csv):
    rows = ["x,name,y"] + [f"{i},name{i},{i % 2}" for i in range(24)]
    params = {"dataset": "csv", "path": str(write_csv("\n".join(rows) + "\n", "people.csv"))}
    with pytest.raises(DataError, match=r"column 'name' has 24 different values in 24 rows \(an id or free text\?\)"):
        describe(params)
    assert describe({**params, "columns": "name: onehot"}).x.dims == (25,)
    assert describe({**params, "columns": "name: exclude"}).x.dims == (1,)


def test_excluded_text_and_a_text_target_become_features_and_classes(write_csv):
    path = write_csv(PEOPLE, "people.csv")
    params = {"dataset": "csv", "path": str(path), "columns": "id: exclude", "missing": "median"}
    info = describe(params)
    # age, city (3 one-hot), member, income, const: the id column is left out
    assert info.x.dims == (7,) and info.task == "classification"
    assert info.class_names == ("bird", "cat", "dog")
    # numbers read as categories when the user says so (codes, years): one column per value
    assert describe({**params, "columns": "id: exclude; const: onehot"}).x.dims == (7,)
    assert describe({**params, "columns": "id: exclude; age: onehot"}).x.dims == (6 + 7,)


def test_tsv_and_parquet_read_like_csv(tmp_path):
    frame = pd.read_csv(pd.io.common.StringIO(PEOPLE), keep_default_na=True)
    tsv = tmp_path / "people.tsv"
    tsv.write_text(PEOPLE.replace(",", "\t"))
    parquet = tmp_path / "people.parquet"
    frame.to_parquet(parquet)
    params = {"dataset": "csv", "columns": "id: exclude", "missing": "median", "val_split": 0.25}
    csv_path = tmp_path / "people.csv"
    csv_path.write_text(PEOPLE)
    loaded = [load_dataset({**params, "path": str(p)}, seed=1) for p in (csv_path, tsv, parquet)]
    for other in loaded[1:]:
        assert other.class_names == loaded[0].class_names
        assert np.allclose(other.train_x.numpy(), loaded[0].train_x.numpy(), atol=1e-6)
        assert other.preprocessing["outputs"] == loaded[0].preprocessing["outputs"]


def test_a_file_that_is_not_parquet_says_so(tmp_path):
    path = tmp_path / "table.parquet"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="'table.parquet' is not a readable Parquet file"):
        describe({"dataset": "csv", "path": str(path)})


def test_the_dataset_node_offers_the_table_settings_only_for_tables():
    node = catalog().get("data.Dataset")
    for name in ("columns", "categorical", "missing"):
        assert node.param_index[name].applies({"dataset": "csv"})
        assert not node.param_index[name].applies({"dataset": "iris"})
    assert node.param_index["missing"].default == "refuse"  # a gap is never filled unless the user says how


def test_one_columns_setting_changes_without_touching_the_others():
    text = "id: exclude; city: embed most_frequent"
    assert with_column_setting(text, "city", "onehot") == "id: exclude; city: onehot most_frequent"
    assert with_column_setting(text, "id", "feature") == "city: embed most_frequent"
    assert with_column_setting(text, "age", "median") == "id: exclude; city: embed most_frequent; age: median"
    assert parse_column_settings(with_column_setting(text, "age", "median"))["age"] == ColumnChoice(missing="median")
