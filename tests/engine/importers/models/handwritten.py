"""Hand-written PyTorch models, as a user would write them, for the import tests."""

import torch
import torch.nn.functional as F
from torch import nn


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, padding="same")
        self.dropout = nn.Dropout(0.3)
        self.fc1 = nn.Linear(16 * 2 * 2, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = F.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        x = self.dropout(x)
        return self.fc2(F.leaky_relu(self.fc1(x), 0.1))


class LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 24, num_layers=2, batch_first=True)
        self.head = nn.Sequential(nn.Linear(24, 16), nn.Tanh(), nn.Linear(16, 5))

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


class GRUStateClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(8, 12, batch_first=True)
        self.fc = nn.Linear(12, 3)

    def forward(self, x):
        _, h = self.gru(x)
        return self.fc(h[-1])


class ResidualBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc_in = nn.Linear(20, 16)
        self.fc_a = nn.Linear(16, 16)
        self.fc_b = nn.Linear(16, 16)
        self.norm = nn.LayerNorm(16)
        self.out = nn.Linear(32, 4)

    def forward(self, x):
        h = F.gelu(self.fc_in(x))
        r = self.fc_b(torch.sigmoid(self.fc_a(h))) + h
        both = torch.cat([self.norm(r), h * r], dim=1)
        return F.log_softmax(self.out(both), dim=-1)


class WithAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        h = self.fc(x)
        h, _ = self.attn(h, h, h)
        return self.head(h.mean(dim=1))


class DataDependent(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        if x.sum() > 0:
            return self.fc(x)
        return -self.fc(x)


class NeedsArguments(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(4, width)


class OnnxFriendly(nn.Module):
    """Operators the ONNX importer reads: Conv, BatchNorm after a ReLU, pools, Flatten, Gemm, Add, Concat."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.bn = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 6, 3, padding=1)
        self.fc_a = nn.Linear(6 * 4 * 4, 12)
        self.fc_b = nn.Linear(6, 12)
        self.fc_out = nn.Linear(24, 3)

    def forward(self, x):
        h = self.bn(torch.relu(self.conv1(x)))
        h = torch.sigmoid(self.conv2(h)) + h
        pooled = F.avg_pool2d(h, 2)
        wide = self.fc_a(torch.flatten(pooled, 1))
        narrow = self.fc_b(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))
        joined = torch.cat([torch.tanh(wide), F.leaky_relu(narrow + wide, 0.2)], dim=1)
        return torch.softmax(self.fc_out(joined), dim=1)
