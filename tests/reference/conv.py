"""Reference values for tests/ops/conv.cpp (run with /usr/bin/python3, PyTorch 1.13).

Inputs are deterministic patterns the C++ test rebuilds exactly:
  x.flat[i] = sin(0.37 i + 0.1), w.flat[i] = cos(0.53 i + 0.2) / 2, b.flat[i] = 0.1 i - 0.2,
rounded to float32. The loss is sum(y * g) with g.flat[i] = cos(0.21 i + 0.3) (float32).
Values are computed in float64 from the float32-rounded inputs. Prints C++ initialisers.
"""
import math
import warnings

warnings.filterwarnings("ignore")

import torch
import torch.nn.functional as F


def pattern(n, f):
    return torch.tensor([f(i) for i in range(n)], dtype=torch.float64).to(torch.float32).to(torch.float64)


def fmt(t):
    return "{" + ", ".join("%.10g" % float(v) for v in t.flatten()) + "}"


# name, x size, w size, bias, stride, padding ("same"/"valid"/(ph, pw)), dilation, groups
CASES = [
    ("basic_pad1", (2, 3, 6, 5), (4, 3, 3, 3), True, (1, 1), (1, 1), (1, 1), 1),
    ("stride_rect_kernel", (2, 3, 7, 8), (5, 3, 3, 2), True, (2, 1), (1, 0), (1, 1), 1),
    ("dilation_groups_no_bias", (1, 4, 7, 7), (6, 2, 3, 3), False, (1, 1), (2, 2), (2, 2), 2),
    ("same_even_kernel", (2, 3, 5, 6), (3, 3, 2, 3), True, (1, 1), "same", (1, 2), 1),
    ("valid", (2, 2, 5, 5), (3, 2, 3, 3), True, (1, 1), "valid", (1, 1), 1),
    ("depthwise_stride2", (2, 4, 6, 6), (4, 1, 3, 3), True, (2, 2), (1, 1), (1, 1), 4),
    ("kernel_larger_than_input", (1, 2, 3, 3), (3, 2, 5, 5), True, (1, 1), (1, 1), (1, 1), 1),
    ("pointwise_odd_channels", (2, 5, 4, 3), (7, 5, 1, 1), True, (1, 1), (0, 0), (1, 1), 1),
    ("unbatched", (3, 5, 4), (2, 3, 2, 2), True, (1, 1), (0, 1), (1, 1), 1),
    # Large enough for the GEMM path (the others take the direct loop nest).
    ("gemm_path", (2, 5, 8, 7), (8, 5, 3, 3), True, (1, 1), (1, 1), (1, 1), 1),
    ("gemm_path_pointwise_groups", (2, 16, 8, 9), (16, 8, 1, 1), True, (1, 1), (0, 0), (1, 1), 2),
    ("gemm_path_strided_dilated", (2, 6, 15, 12), (9, 2, 3, 2), False, (2, 1), (2, 1), (2, 3), 3),
]

for name, xs, ws, has_bias, stride, padding, dilation, groups in CASES:
    x = pattern(math.prod(xs), lambda i: math.sin(0.37 * i + 0.1)).reshape(xs).requires_grad_()
    w = pattern(math.prod(ws), lambda i: math.cos(0.53 * i + 0.2) / 2).reshape(ws).requires_grad_()
    b = pattern(ws[0], lambda i: 0.1 * i - 0.2).requires_grad_() if has_bias else None
    y = F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    g = pattern(y.numel(), lambda i: math.cos(0.21 * i + 0.3)).reshape(y.shape)
    (y * g).sum().backward()
    pad = f'"{padding}", {{0, 0}}' if isinstance(padding, str) else f'"", {{{padding[0]}, {padding[1]}}}'
    print(f"const RefCase k_{name} = {{")
    print(f"    {{{', '.join(map(str, xs))}}}, {{{', '.join(map(str, ws))}}}, {str(has_bias).lower()},")
    print(f"    {{{stride[0]}, {stride[1]}}}, {pad}, {{{dilation[0]}, {dilation[1]}}}, {groups},")
    print(f"    {{{', '.join(map(str, y.shape))}}},")
    print(f"    {fmt(y.detach())},")
    print(f"    {fmt(x.grad)},")
    print(f"    {fmt(w.grad)},")
    print(f"    {fmt(b.grad) if has_bias else '{}'}}};")
