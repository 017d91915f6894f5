"""digits mlp: exported from Netwright as plain PyTorch.

Input: data_x [B, 64]. Output: `fc2` [B, 10] (B is the batch size).
Weights: digits_mlp.safetensors, beside this file (tensors keyed like the model's state_dict).
Needs only torch. `load_model()` returns the trained model in eval mode; `train()` trains
a model the way the Netwright graph was set up to train.
"""

import json
from pathlib import Path

import torch
from torch import nn

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}


def read_safetensors(path) -> dict[str, torch.Tensor]:
    """The tensors of a .safetensors file, read with torch alone: an 8-byte header length, a JSON header, raw bytes."""
    data = Path(path).read_bytes()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + size])
    body = data[8 + size:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        flat = torch.frombuffer(bytearray(body[start:end]), dtype=dtype) if end > start else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(info["shape"])
    return tensors


class DigitsMlpModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(32, 10)

    def forward(self, data_x):
        fc1 = self.fc1(data_x)
        relu1 = self.relu1(fc1)
        fc2 = self.fc2(relu1)
        return fc2


def train(model, x, y, x_val=None, y_val=None, epochs=20, batch_size=32, seed=0):
    """Train `model` on tensors x, y the way the Netwright trainer trains this graph; returns one row of metrics per epoch.

    Written from the graph's training plan: Adam `adam` (lr 0.001) minimizes Cross-Entropy `loss`, updating fc1, fc2.
    20 epochs, shuffled mini-batches of 32, seed 0.
    x and y must be prepared the way the Dataset node prepares them (e.g. standardized features).
    """
    torch.manual_seed(seed)
    shuffle_generator = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()
    adam_parameters = [p for name in ["fc1", "fc2"] for p in getattr(model, name).parameters()]
    adam = torch.optim.Adam(adam_parameters, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x), generator=shuffle_generator)
        totals = {"loss": 0.0}
        for start in range(0, len(x), batch_size):
            index = order[start:start + batch_size]
            data_x, data_y = x[index], y[index]
            # adam (Adam): minimizes loss, updates fc1, fc2
            prediction = model(data_x)
            loss = loss_fn(prediction, data_y)
            adam.zero_grad()
            loss.backward()
            adam.step()
            totals["loss"] += loss.item() * len(index)
        row = {"epoch": epoch}
        row["train_loss"] = totals["loss"] / len(x)
        if x_val is not None:
            model.eval()
            val_totals = {"loss": 0.0}
            with torch.no_grad():
                for start in range(0, len(x_val), 2048):  # in chunks of 2048, as the trainer validates
                    stop = min(start + 2048, len(x_val))
                    data_x, data_y = x_val[start:stop], y_val[start:stop]
                    prediction = model(data_x)
                    loss = loss_fn(prediction, data_y)
                    val_totals["loss"] += loss.item() * (stop - start)
            row["val_loss"] = val_totals["loss"] / len(x_val)
        history.append(row)
        print(", ".join(f"{k} {v:.4g}" for k, v in row.items()))
    return history


def load_model(weights=None) -> DigitsMlpModel:
    """The model with the exported weights (digits_mlp.safetensors beside this file by default), in eval mode."""
    model = DigitsMlpModel()
    path = Path(weights) if weights is not None else Path(__file__).with_name("digits_mlp.safetensors")
    model.load_state_dict(read_safetensors(path))
    return model.eval()


if __name__ == "__main__":
    model = load_model()
    with torch.no_grad():
        output = model(torch.randn(2, 64))
    print("fc2:", tuple(output.shape))
