# Reference values for tests/ops/shape.cpp (PyTorch 1.13): run with /usr/bin/python3 and paste.
import torch


def show(name, t):
    vals = ", ".join(f"{v:g}" for v in t.flatten().tolist())
    print(f"{name}: sizes {list(t.shape)} strides {list(t.stride())} -> {{{vals}}}")


x = torch.arange(24.0).view(2, 3, 4)
show("x.transpose(0, 2).contiguous()", x.transpose(0, 2).contiguous())
show("x.transpose(0, 2)", x.transpose(0, 2))
show("x.permute(2, 0, 1).contiguous()", x.permute(2, 0, 1).contiguous())
show("x.permute(2, 0, 1)", x.permute(2, 0, 1))
show("x.transpose(1, 2).reshape(6, 4)", x.transpose(1, 2).reshape(6, 4))
show("x.flatten(1)", x.flatten(1))
show("x.narrow(2, 1, 2)", x.narrow(2, 1, 2))
show("x[:, -2:, 1::2]", x[:, -2:, 1::2])
show("x[:, 1:100:2, -100:2]", x[:, 1:100:2, -100:2])
show("x.select(1, -1)", x.select(1, -1))
show("x[:, :1].expand(2, 3, 4)", x[:, :1].expand(2, 3, 4))
show("x[0, :, :1].expand(2, -1, 4)", x[0, :, :1].expand(2, -1, 4))
show("x.index_select(2, [3, 0, 3])", x.index_select(2, torch.tensor([3, 0, 3])))
show("x.index_select(0, [1])", x.index_select(0, torch.tensor([1])))
a = torch.arange(6.0).view(2, 3)
b = torch.arange(10.0, 14.0).view(2, 2)
show("cat([a, b], 1)", torch.cat([a, b], 1))
show("cat([a, a+10], 0)", torch.cat([a, a + 10], 0))
show("cat([a, empty(0)], 0)", torch.cat([a, torch.empty(0)], 0))
show("stack([a, a+10], 0)", torch.stack([a, a + 10], 0))
show("stack([a, a+10], -1)", torch.stack([a, a + 10], -1))
show("stack([a, a+10], 1)", torch.stack([a, a + 10], 1))
print("cat long+float dtype", torch.cat([torch.tensor([1, 2]), torch.tensor([0.5])]).dtype)

# Gradients: index_select with repeated indices accumulates.
w = torch.arange(6.0).view(2, 3).requires_grad_()
y = w.index_select(1, torch.tensor([2, 0, 2, 2]))
(y * torch.arange(8.0).view(2, 4)).sum().backward()
show("index_select grad", w.grad)
w = torch.arange(4.0).view(1, 4).requires_grad_()
y = w.expand(3, 2, 4)
(y * torch.arange(24.0).view(3, 2, 4)).sum().backward()
show("expand grad", w.grad)
w = torch.arange(12.0).view(3, 4).requires_grad_()
y = w[1:, ::3]
(y * torch.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
show("slice grad", w.grad)

x = torch.randn(2, 3, 4, requires_grad=True)
for name, y in [("view", x.view(6, 4)), ("reshape", x.reshape(6, 4)),
                ("reshape copy", x.transpose(0, 1).reshape(6, 4)), ("flatten", x.flatten()),
                ("narrow", x.narrow(1, 0, 2)), ("slice", x[:, 1:]), ("select", x.select(1, 0)),
                ("expand", x[:, :1].expand(2, 5, 4)), ("squeeze", x[:, :1].squeeze()),
                ("squeeze dim", x[:, :1].squeeze(1)), ("unsqueeze", x.unsqueeze(0)),
                ("transpose", x.transpose(0, 1)), ("t", x[0].t()), ("permute", x.permute(2, 0, 1)),
                ("index_select", x.index_select(1, torch.tensor([0, 0]))), ("cat", torch.cat([x, x])),
                ("stack", torch.stack([x, x]))]:
    print(name, type(y.grad_fn).__name__)

# ---- as_strided / _reshape_alias (tests/ops/shape.cpp, suite as_strided_views).
x = torch.arange(9.0).view(3, 3)
show("as_strided(x, [2, 2], [1, 2])", torch.as_strided(x, [2, 2], [1, 2]))
show("as_strided(x, [2, 2], [1, 2], 3)", torch.as_strided(x, [2, 2], [1, 2], 3))
w = torch.arange(9.0).view(3, 3).requires_grad_()
(torch.as_strided(w, [2, 2], [1, 1]) * torch.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
show("grad of as_strided(w, [2, 2], [1, 1])", w.grad)
w = torch.arange(3.0).requires_grad_()
e = w.expand(2, 3)
(torch.as_strided(e, [3], [1]) * torch.tensor([1.0, 10.0, 100.0])).sum().backward()
show("grad through as_strided of an expanded (overlapping) input", w.grad)
y = torch.arange(9.0).view(3, 3).requires_grad_()
(torch.ops.aten._reshape_alias(y * y, [9], [1]) * torch.arange(9.0)).sum().backward()
show("grad of _reshape_alias(y * y, [9], [1])", y.grad)
