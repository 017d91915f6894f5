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
    with pytest.raises(WeightsFileError, match=r"holds a Python object \(print\), not only tensors") as info:
        read_weights(evil)
    assert "weights_only" not in str(info.value)


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


def _zip_bytes() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", b"not a pickle")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage", b"\x80\x02}q\x00.", b"PK\x03\x04 truncated", "zip"],
    ids=["empty", "garbage", "bare-pickle", "truncated-zip", "zip-without-tensors"],
)
def test_torch_advice_to_load_with_weights_only_false_never_reaches_the_user(tmp_path, content):
    """torch's own message suggests weights_only=False (which would run the file's code): never pass it on."""
    path = tmp_path / "hostile.pt"
    path.write_bytes(_zip_bytes() if content == "zip" else content)
    try:
        read_weights(path)
    except WeightsFileError as exc:
        message = str(exc)
    else:
        message = ""  # torch may read a plain pickled dict; then nothing was refused
    assert "weights_only" not in message and "\x1b" not in message and "\n" not in message


def _nonfinite(kind: str, dtype=torch.float32) -> torch.Tensor:
    value = torch.zeros(2, 3, dtype=dtype)
    value[0, 1] = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}[kind]
    return value


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
@pytest.mark.parametrize("kind", ["nan", "inf", "-inf"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.float64])
def test_weights_that_are_not_finite_are_refused_naming_the_tensor(tmp_path, suffix, kind, dtype):
    tensors = {"fc1.weight": torch.ones(2, 3, dtype=dtype), "fc2.bias": _nonfinite(kind, dtype)}
    path = tmp_path / f"w{suffix}"
    if suffix == ".pt":
        torch.save(tensors, path)
    else:
        write_weights(tensors, path)
    with pytest.raises(WeightsFileError) as info:
        read_weights(path)
    message = str(info.value)
    counted = "1 NaN" if kind == "nan" else "1 infinite"
    assert f"fc2.bias ({counted} of 6 values)" in message and "fc1.weight" not in message
    assert message.startswith(str(path)) and "\n" not in message


def test_every_bad_tensor_is_counted_and_the_first_are_named(tmp_path):
    tensors = {f"fc{i}.weight": torch.full((2,), float("nan")) for i in range(5)}
    tensors["fc0.weight"][1] = float("inf")
    path = tmp_path / "w.safetensors"
    write_weights(tensors, path)
    with pytest.raises(WeightsFileError, match=r"fc0.weight \(1 NaN and 1 infinite of 2 values\).* and 2 more tensors"):
        read_weights(path)


def test_integer_and_finite_tensors_load(tmp_path):
    tensors = {"bn.num_batches_tracked": torch.tensor(7), "fc.weight": torch.full((2,), 3.4e38)}
    path = tmp_path / "w.pt"
    torch.save(tensors, path)
    assert set(read_weights(path)) == set(tensors)
