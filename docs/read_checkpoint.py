"""Reads an xgrad checkpoint (safetensors layout) with only the standard library and numpy."""
import json, struct, sys
import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "BOOL": "|b1"}

def read_checkpoint(path):
    """Returns ({name: numpy array}, {metadata key: value}), tensors in file order."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))        # header length, little-endian u64
        header = json.loads(f.read(n))                # JSON header (space padded)
        data = f.read()                               # raw tensor bytes
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = e["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype=DTYPES[e["dtype"]]).reshape(e["shape"]).copy()
    return tensors, metadata

if __name__ == "__main__":
    tensors, metadata = read_checkpoint(sys.argv[1])
    print(metadata)
    for name, a in tensors.items():
        print(f"{name}: {a.dtype} {list(a.shape)}")
