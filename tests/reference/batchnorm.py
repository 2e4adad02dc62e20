#!/usr/bin/python3
"""Reference values for tests/ops/batchnorm.cpp and tests/nn/batchnorm.cpp, from PyTorch 1.13
(run with /usr/bin/python3; pass "ops" or "nn" to print that test's table).

Inputs are deterministic and rebuilt identically in the C++ tests (see `input_values` there):
  x(shape, seed)[k] = 2 sin(0.7 k + seed) + 0.3 (k % 7) + seed   over the flattened input,
  g(shape)[k]       = cos(0.3 k) + 0.5                            upstream gradient, loss = sum(y * g),
  weight[c] = 1 + 0.25 c, bias[c] = 0.5 - 0.2 c,
  running_mean[c] = 0.1 c, running_var[c] = 1 + 0.5 c             (functional cases).
Values are built in float64 and converted to float32 for the float32 cases.
"""
import math
import sys

import torch
import torch.nn.functional as F


def x_of(shape, seed, dtype):
    n = math.prod(shape)
    v = [2 * math.sin(0.7 * k + seed) + 0.3 * (k % 7) + seed for k in range(n)]
    return torch.tensor(v, dtype=torch.float64).reshape(shape).to(dtype)


def g_of(shape, dtype):
    n = math.prod(shape)
    return torch.tensor([math.cos(0.3 * k) + 0.5 for k in range(n)], dtype=torch.float64).reshape(shape).to(dtype)


def chan(c, f, dtype):
    return torch.tensor([f(i) for i in range(c)], dtype=torch.float64).to(dtype)


def fmt(t):
    return "{" + ", ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist()) + "}"


def emit(name, t):
    print(f"const std::vector<double> {name} = {fmt(t)};")


def affine(c, dtype):
    w = chan(c, lambda i: 1 + 0.25 * i, dtype).requires_grad_()
    b = chan(c, lambda i: 0.5 - 0.2 * i, dtype).requires_grad_()
    return w, b


def ops():
    for dtype, suffix in ((torch.float64, "F64"), (torch.float32, "F32")):
        # A: training with weight, bias and running statistics (momentum 0.2).
        shape = (2, 3, 4, 5)
        x = x_of(shape, 0, dtype).requires_grad_()
        w, b = affine(3, dtype)
        rm, rv = chan(3, lambda i: 0.1 * i, dtype), chan(3, lambda i: 1 + 0.5 * i, dtype)
        y = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.2, eps=1e-5)
        (y * g_of(shape, dtype)).sum().backward()
        print(f"// A{suffix}: {y.grad_fn.name()}")
        for n, t in (("kTrainY", y), ("kTrainGx", x.grad), ("kTrainGw", w.grad), ("kTrainGb", b.grad),
                     ("kTrainRm", rm), ("kTrainRv", rv)):
            emit(n + suffix, t)
        # B: evaluation with the initial running statistics.
        x = x_of(shape, 1, dtype).requires_grad_()
        w, b = affine(3, dtype)
        rm, rv = chan(3, lambda i: 0.1 * i, dtype), chan(3, lambda i: 1 + 0.5 * i, dtype)
        y = F.batch_norm(x, rm, rv, w, b, training=False, momentum=0.2, eps=1e-5)
        (y * g_of(shape, dtype)).sum().backward()
        for n, t in (("kEvalY", y), ("kEvalGx", x.grad), ("kEvalGw", w.grad), ("kEvalGb", b.grad)):
            emit(n + suffix, t)
    # C: training, 2-D input, no affine, no running statistics, eps 1e-3.
    x = x_of((4, 2), 2, torch.float64).requires_grad_()
    y = F.batch_norm(x, None, None, training=True, eps=1e-3)
    (y * g_of((4, 2), torch.float64)).sum().backward()
    emit("kPlainY", y)
    emit("kPlainGx", x.grad)


def module_step(m, shape, seed, dtype=torch.float64):
    x = x_of(shape, seed, dtype).requires_grad_()
    y = m(x)
    (y * g_of(shape, dtype)).sum().backward()
    return x, y


def set_affine(m):
    with torch.no_grad():
        c = m.num_features
        m.weight.copy_(chan(c, lambda i: 1 + 0.25 * i, torch.float64))
        m.bias.copy_(chan(c, lambda i: 0.5 - 0.2 * i, torch.float64))


def nn():
    torch.set_default_dtype(torch.float64)
    shape = (2, 3, 4, 5)
    # M1: three training steps (momentum 0.1), then eval.
    m = torch.nn.BatchNorm2d(3)
    set_affine(m)
    x, y = module_step(m, shape, 0)
    emit("kStep1Y", y)
    emit("kStep1Gx", x.grad)
    emit("kStep1Gw", m.weight.grad)
    emit("kStep1Gb", m.bias.grad)
    module_step(m, shape, 1)
    module_step(m, shape, 2)
    emit("kRunningMean3", m.running_mean)
    emit("kRunningVar3", m.running_var)
    print(f"// num_batches_tracked = {int(m.num_batches_tracked)}")
    m.eval()
    m.zero_grad()
    x, y = module_step(m, shape, 3)
    emit("kEvalY", y)
    emit("kEvalGx", x.grad)
    emit("kEvalGw", m.weight.grad)
    emit("kEvalGb", m.bias.grad)
    # M2: momentum=None (cumulative moving average), three steps.
    m = torch.nn.BatchNorm2d(3, momentum=None)
    for s in range(3):
        module_step(m, shape, s)
    emit("kCmaMean3", m.running_mean)
    emit("kCmaVar3", m.running_var)
    # M3: affine=False, track_running_stats=False: batch statistics in train and eval.
    m = torch.nn.BatchNorm2d(3, affine=False, track_running_stats=False)
    x, y = module_step(m, shape, 0)
    emit("kPlainY", y)
    emit("kPlainGx", x.grad)
    # M4: BatchNorm1d on (N, C).
    m = torch.nn.BatchNorm1d(3)
    set_affine(m)
    x, y = module_step(m, (4, 3), 4)
    emit("kBn1d2Y", y)
    emit("kBn1d2Gx", x.grad)
    emit("kBn1d2Gw", m.weight.grad)
    emit("kBn1d2Gb", m.bias.grad)
    emit("kBn1d2Rm", m.running_mean)
    emit("kBn1d2Rv", m.running_var)
    m.eval()
    with torch.no_grad():
        emit("kBn1d2EvalY", m(x_of((4, 3), 5, torch.float64)))
    # M5: BatchNorm1d on (N, C, L), momentum 0.3.
    m = torch.nn.BatchNorm1d(2, momentum=0.3)
    x, y = module_step(m, (3, 2, 5), 5)
    emit("kBn1d3Y", y)
    emit("kBn1d3Gx", x.grad)
    emit("kBn1d3Rm", m.running_mean)
    emit("kBn1d3Rv", m.running_var)
    print("// " + repr(torch.nn.BatchNorm2d(6)))
    print("// " + repr(torch.nn.BatchNorm1d(4, eps=1e-3, momentum=None, affine=False, track_running_stats=False)))
    print("// " + str(list(torch.nn.BatchNorm2d(2).state_dict().keys())))


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "ops"
    print(f"// Generated by tests/reference/batchnorm.py {what} (PyTorch {torch.__version__}).")
    ops() if what == "ops" else nn()
