"""Test: a checkpoint written by xgrad (serialize_tool sample) read with docs/read_checkpoint.py
(standard library + numpy only): names, order, dtypes, shapes, values and metadata.

Usage: read_with_numpy.py SERIALIZE_TOOL SOURCE_ROOT. Exit 77 (skipped) without numpy."""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("numpy is not installed for", sys.executable, "- skipping")
    sys.exit(77)

tool, root = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(root, "docs"))
from read_checkpoint import read_checkpoint  # noqa: E402

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "sample.safetensors")
    subprocess.run([tool, "sample", path], check=True)
    tensors, metadata = read_checkpoint(path)

assert list(tensors) == ["weight", "double", "count", "ids", "mask", "empty", "transposed"], list(tensors)
assert metadata == {"epoch": "3", "format": "xgrad", "format_version": "1", "content": "state_dict"}, metadata
expected = {
    "weight": np.arange(6, dtype=np.float32).reshape(2, 3) * np.float32(0.5),
    "double": np.array([1.0 / 3.0, -2.5e300, 0.0]),
    "count": np.array(-7, dtype=np.int64),
    "ids": np.array([1, 1 << 40, -3], dtype=np.int64),
    "mask": np.array([True, False, True]),
    "empty": np.zeros((0, 3), dtype=np.float32),
    "transposed": np.arange(6, dtype=np.float32).reshape(2, 3).T,
}
for name, want in expected.items():
    got = tensors[name]
    assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
    assert got.shape == want.shape, (name, got.shape, want.shape)
    assert np.array_equal(got, want), (name, got, want)
print("read_with_numpy: %d tensors match" % len(expected))
