"""Weights files are read without running code and written whole; errors are one line naming the file."""

import pytest
import torch
from safetensors import safe_open

from engine.weights import WeightsFileError, read_weights, write_weights


def test_written_weights_read_back_with_their_metadata(tmp_path):
    path = tmp_path / "w.safetensors"
    tensors = {"fc1.weight": torch.arange(6.0).reshape(2, 3).t(), "fc1.bias": torch.ones(2)}  # one not contiguous
    write_weights(tensors, path, {"format": "netwright-weights"})
    back = read_weights(path)
    assert set(back) == set(tensors)
    assert all(torch.equal(back[k], tensors[k]) for k in tensors)
    with safe_open(str(path), "pt") as handle:
        assert handle.metadata() == {"format": "netwright-weights"}
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]  # no temporary file left behind


def test_a_pt_state_dict_is_read_and_pickled_code_is_refused(tmp_path):
    plain = tmp_path / "plain.pt"
    torch.save({"fc1.bias": torch.zeros(3)}, plain)
    assert torch.equal(read_weights(plain)["fc1.bias"], torch.zeros(3))

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    evil = tmp_path / "evil.pth"
    torch.save({"fc1.weight": Evil()}, evil)
    with pytest.raises(WeightsFileError, match="not a readable state_dict"):
        read_weights(evil)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.safetensors", None, "no such weights file"),
        ("broken.safetensors", b"not safetensors", "not a readable safetensors file"),
        ("weights.npz", b"", "must be a .safetensors file or a .pt state_dict"),
    ],
)
def test_unreadable_files_are_one_line_errors(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(WeightsFileError, match=message) as info:
        read_weights(path)
    assert "\n" not in str(info.value) and name in str(info.value)


def test_a_pt_file_that_is_not_a_dict_of_tensors_is_refused(tmp_path):
    path = tmp_path / "list.pt"
    torch.save([torch.zeros(1)], path)
    with pytest.raises(WeightsFileError, match="expected a state_dict .* received list"):
        read_weights(path)
