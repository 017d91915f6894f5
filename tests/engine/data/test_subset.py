import pytest

from engine.data import DataError, describe, load_dataset


def test_classes_keep_a_subset_relabelled_in_order():
    params = {"dataset": "digits_flat", "classes": [5, 6, 7, 8, 9], "val_split": 0.2}
    info = describe(params)
    assert info.y.num_classes == 5 and info.class_names == ("5", "6", "7", "8", "9")
    data = load_dataset(params, seed=0)
    assert set(data.train_y.tolist()) == {0, 1, 2, 3, 4}
    everything = load_dataset({"dataset": "digits_flat", "val_split": 0.0}, seed=0)
    expected = int(sum((everything.train_y == c).sum() for c in (5, 6, 7, 8, 9)))
    assert len(data.train_y) + len(data.val_y) == expected


def test_subset_changes_the_fingerprint():
    a = load_dataset({"dataset": "iris", "classes": [0, 1]}, seed=0)
    b = load_dataset({"dataset": "iris"}, seed=0)
    assert a.fingerprint != b.fingerprint


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"dataset": "diabetes", "classes": [0]}, "task is regression"),
        ({"dataset": "iris", "classes": [0, 3]}, "classes are 0 to 2"),
        ({"dataset": "iris", "classes": [1, 1]}, "lists a class twice"),
    ],
)
def test_bad_class_subsets_are_refused(params, message):
    with pytest.raises(DataError, match=message):
        describe(params)
