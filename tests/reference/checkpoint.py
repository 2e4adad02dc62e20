"""Reference for tests/serialize: PyTorch 1.13 -> xgrad checkpoint fixtures, and the shared
PyTorch model of the xgrad -> PyTorch test (tests/serialize/xgrad_to_torch.py).

Run with /usr/bin/python3 (torch + numpy) from the repository root:
    /usr/bin/python3 tests/reference/checkpoint.py
It writes tests/serialize/data/torch_cnn.safetensors (the CNN's state_dict) and
tests/serialize/data/torch_cnn_io.safetensors (an input and PyTorch's output) with the
stdlib+numpy writer below, reads them back with docs/read_checkpoint.py, and prints the
strings the C++ tests compare with (state_dict order and load_state_dict's error message).
"""
import json
import os
import struct
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "docs"))
from read_checkpoint import read_checkpoint  # noqa: E402

CODES = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64", np.dtype("bool"): "BOOL"}


def write_checkpoint(path, tensors, metadata):
    """The reader's counterpart (stdlib + numpy): {name: array} and {str: str} -> safetensors file."""
    header, blobs, offset = {"__metadata__": dict(metadata)}, [], 0
    for name, a in tensors.items():
        a = np.asarray(a)  # (not ascontiguousarray: it turns 0-d arrays into 1-d)
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes(order="C")
        header[name] = {"dtype": CODES[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def make_cnn():
    """The CNN both tests build (xgrad's twin is in tests/serialize/cnn.hpp)."""
    import torch
    from torch import nn

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                          nn.Conv2d(4, 6, 3), nn.Tanh())
            self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(24, 10), nn.ReLU(), nn.Linear(10, 5))
            self.register_buffer("steps", torch.tensor(7, dtype=torch.int64))  # an int64 scalar buffer

        def forward(self, x):
            return self.classifier(self.features(x))

    return CNN()


def main():
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = make_cnn()
    x = torch.randn(2, 1, 8, 8)
    with torch.no_grad():
        y = model(x)
    sd = model.state_dict()
    print("CNN state_dict order:", list(sd.keys()))

    data = os.path.join(ROOT, "tests", "serialize", "data")
    os.makedirs(data, exist_ok=True)
    meta = {"format": "pt", "source": "tests/reference/checkpoint.py"}
    write_checkpoint(os.path.join(data, "torch_cnn.safetensors"), {k: v.numpy() for k, v in sd.items()}, meta)
    write_checkpoint(os.path.join(data, "torch_cnn_io.safetensors"), {"input": x.numpy(), "output": y.numpy()}, meta)

    # The numpy reader gives back exactly what was written.
    back, back_meta = read_checkpoint(os.path.join(data, "torch_cnn.safetensors"))
    assert list(back) == list(sd) and back_meta == meta
    for k, v in sd.items():
        assert back[k].dtype == v.numpy().dtype and np.array_equal(back[k], v.numpy()), k
    print("output[0]:", y[0].tolist())

    # Names and order of tests/reference/nn.py's Net (parameters, then buffers, then children).
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
            self.fc = nn.Linear(8, 2)
            self.scale = nn.Parameter(torch.ones(1))
            self.register_buffer("steps", torch.zeros(1))

    net = Net()
    print("Net state_dict order:", list(net.state_dict().keys()))
    bad = net.state_dict()
    del bad["fc.bias"]
    del bad["steps"]
    bad["fc2.weight"] = torch.zeros(2, 8)
    bad["extra"] = torch.zeros(1)
    bad["fc.weight"] = torch.zeros(3, 8)
    bad["features.0.bias"] = torch.zeros(3)
    try:
        net.load_state_dict(bad)
    except RuntimeError as e:
        print("load_state_dict error:", json.dumps(str(e)))
    try:
        net.load_state_dict(bad, strict=False)
    except RuntimeError as e:
        print("load_state_dict(strict=False) error:", json.dumps(str(e)))


if __name__ == "__main__":
    main()
