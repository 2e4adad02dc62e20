"""Test: PyTorch loads a checkpoint written by xgrad (serialize_tool cnn) into the same CNN
(tests/reference/checkpoint.py make_cnn) with load_state_dict(strict=True), and its output on
xgrad's input matches xgrad's output.

Usage: xgrad_to_torch.py SERIALIZE_TOOL SOURCE_ROOT. Exit 77 (skipped) without torch/numpy."""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np  # noqa: F401
    import torch
except ImportError as e:
    print("skipping:", e, "for", sys.executable)
    sys.exit(77)

tool, root = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(root, "docs"))
sys.path.insert(0, os.path.join(root, "tests", "reference"))
from read_checkpoint import read_checkpoint  # noqa: E402
from checkpoint import make_cnn  # noqa: E402

with tempfile.TemporaryDirectory() as d:
    model_path, io_path = os.path.join(d, "cnn.safetensors"), os.path.join(d, "io.safetensors")
    subprocess.run([tool, "cnn", model_path, io_path], check=True)
    tensors, metadata = read_checkpoint(model_path)
    io, _ = read_checkpoint(io_path)

assert metadata["format"] == "xgrad" and metadata["content"] == "module", metadata
model = make_cnn()
assert list(tensors) == list(model.state_dict()), (list(tensors), list(model.state_dict()))
model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
with torch.no_grad():
    y = model(torch.from_numpy(io["input"]))
expected = torch.from_numpy(io["output"])
err = (y - expected).abs().max().item()
assert torch.allclose(y, expected, atol=1e-6, rtol=1e-5), err
assert model.steps.item() == 7 and model.steps.dtype == torch.int64
print("xgrad_to_torch: PyTorch output matches xgrad's (max abs difference %.3g)" % err)
