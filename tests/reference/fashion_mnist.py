"""Reference facts about Debian's Fashion-MNIST files for tests/data/fashion_mnist.cpp.

Reads the four gzipped IDX files with gzip + numpy (independently of xgrad's reader) and prints
the numbers the test checks. Run with /usr/bin/python3.
"""
import gzip
import struct

import numpy as np

ROOT = "/usr/share/datasets/fashion-mnist/"


def read(name):
    data = gzip.open(ROOT + name).read()
    rank = data[3]
    dims = struct.unpack(">" + "I" * rank, data[4 : 4 + 4 * rank])
    return np.frombuffer(data[4 + 4 * rank :], dtype=np.uint8).reshape(dims)


for mode in ("train", "t10k"):
    images = read(f"{mode}-images-idx3-ubyte.gz")
    labels = read(f"{mode}-labels-idx1-ubyte.gz")
    x = images.astype(np.float64) / 255.0
    print(mode, "images", images.shape, "labels", labels.shape)
    print("  first labels", labels[:10].tolist())
    print("  first image byte sum", int(images[0].sum()))
    print("  pixel mean %.10f std %.10f" % (x.mean(), x.std()))
    print("  label counts", np.bincount(labels).tolist())
