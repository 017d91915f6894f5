"""Blocks CNN: exported from Netwright as plain PyTorch.

Input: data_x [B, 1, 8, 8]. Output: `out` [B, 10] (B is the batch size).
Weights: blocks_cnn.safetensors, beside this file (tensors keyed by node id, as Netwright writes them; load_model() places them in the blocks).
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


class ConvBNReLU(nn.Module):
    """Block `cbr1` (Conv-BN-ReLU) of the Netwright graph; identical blocks reuse this class."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()

    def forward(self, x):
        conv = self.conv(x)
        bn = self.bn(conv)
        relu = self.relu(bn)
        return relu


class ResidualBlock(nn.Module):
    """Block `res1` (Residual block) of the Netwright graph; identical blocks reuse this class."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 4, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(4, 4, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()

    def forward(self, x):
        conv1 = self.conv1(x)
        bn1 = self.bn1(conv1)
        relu1 = self.relu1(bn1)
        conv2 = self.conv2(relu1)
        bn2 = self.bn2(conv2)
        add = bn2 + x
        relu = self.relu(add)
        return relu


class MLPBlock(nn.Module):
    """Block `mlp1` (MLP block) of the Netwright graph; identical blocks reuse this class."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(256, 16)
        self.relu1 = nn.ReLU()

    def forward(self, x):
        fc1 = self.fc1(x)
        relu1 = self.relu1(fc1)
        return relu1


class BlocksCNNModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.cbr1 = ConvBNReLU()
        self.res1 = ResidualBlock()
        self.res2 = ResidualBlock()
        self.flat = nn.Flatten()
        self.mlp1 = MLPBlock()
        self.out = nn.Linear(16, 10)

    def forward(self, data_x):
        cbr1 = self.cbr1(data_x)
        res1 = self.res1(cbr1)
        res2 = self.res2(res1)
        flat = self.flat(res2)
        mlp1 = self.mlp1(flat)
        out = self.out(mlp1)
        return out


def train(model, x, y, x_val=None, y_val=None, epochs=1, batch_size=64, seed=0):
    """Train `model` on tensors x, y the way the Netwright trainer trains this graph; returns one row of metrics per epoch.

    Written from the graph's training plan: Adam `adam` (lr 0.001) minimizes Cross-Entropy `loss`, updating cbr1_conv, cbr1_bn, res1_conv1, res1_bn1, res1_conv2, res1_bn2, res2_conv1, res2_bn1, res2_conv2, res2_bn2, mlp1_fc1, out.
    1 epochs, shuffled mini-batches of 64, seed 0.
    x and y must be prepared the way the Dataset node prepares them (e.g. standardized features).
    """
    torch.manual_seed(seed)
    shuffle_generator = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()
    adam_parameters = [p for name in ["cbr1.conv", "cbr1.bn", "res1.conv1", "res1.bn1", "res1.conv2", "res1.bn2", "res2.conv1", "res2.bn1", "res2.conv2", "res2.bn2", "mlp1.fc1", "out"] for p in model.get_submodule(name).parameters()]
    adam = torch.optim.Adam(adam_parameters, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x), generator=shuffle_generator)
        totals = {"loss": 0.0}
        for start in range(0, len(x), batch_size):
            index = order[start:start + batch_size]
            data_x, data_y = x[index], y[index]
            # adam (Adam): minimizes loss, updates cbr1_conv, cbr1_bn, res1_conv1, res1_bn1, res1_conv2, res1_bn2, res2_conv1, res2_bn1, res2_conv2, res2_bn2, mlp1_fc1, out
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


# Where each layer inside a block sits in the model: Netwright's weights files key tensors by
# node id (`res1_conv1.weight`), this model nests them in its blocks (`res1.conv1.weight`).
NODE_PATHS = {
    'cbr1_conv': 'cbr1.conv',
    'cbr1_bn': 'cbr1.bn',
    'cbr1_relu': 'cbr1.relu',
    'res1_conv1': 'res1.conv1',
    'res1_bn1': 'res1.bn1',
    'res1_relu1': 'res1.relu1',
    'res1_conv2': 'res1.conv2',
    'res1_bn2': 'res1.bn2',
    'res1_add': 'res1.add',
    'res1_relu': 'res1.relu',
    'res2_conv1': 'res2.conv1',
    'res2_bn1': 'res2.bn1',
    'res2_relu1': 'res2.relu1',
    'res2_conv2': 'res2.conv2',
    'res2_bn2': 'res2.bn2',
    'res2_add': 'res2.add',
    'res2_relu': 'res2.relu',
    'mlp1_fc1': 'mlp1.fc1',
    'mlp1_relu1': 'mlp1.relu1',
}


def place_weights(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Tensors keyed by node id -> keyed by this model's state_dict (keys already nested are kept)."""
    placed = {}
    for key, tensor in tensors.items():
        node, _, rest = key.partition(".")
        placed[f"{NODE_PATHS[node]}.{rest}" if node in NODE_PATHS else key] = tensor
    return placed


def load_model(weights=None) -> BlocksCNNModel:
    """The model with the exported weights (blocks_cnn.safetensors beside this file by default), in eval mode."""
    model = BlocksCNNModel()
    path = Path(weights) if weights is not None else Path(__file__).with_name("blocks_cnn.safetensors")
    model.load_state_dict(place_weights(read_safetensors(path)))
    return model.eval()


if __name__ == "__main__":
    model = load_model()
    with torch.no_grad():
        output = model(torch.randn(2, 1, 8, 8))
    print("out:", tuple(output.shape))
