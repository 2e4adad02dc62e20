#!/usr/bin/python3
"""Reference numbers for tests/autograd/inplace_views.cpp: in-place ops on views of tensors that
require grad (PyTorch rewrites the base's history with CopySlices; the view's grad_fn is remade
as AsStridedBackward0), and views whose base was modified in place after they were taken.

x is a 3x4 leaf (float64) with values 0.1 * (k - 5) + 0.05 * k^2 / 10 for k = 0..11, w4, w3
leaves of 4 and 3 elements, C the loss weights for y (1..12 / 4), d weights for a view.
Each case prints y's grad_fn, the view's grad_fn (when one is returned), x.grad and w.grad
(row-major, "none" when not reached). Run with /usr/bin/python3 (PyTorch 1.13).
"""
import torch

torch.set_default_dtype(torch.float64)
K = torch.arange(12.0)
X = (0.1 * (K - 5) + 0.005 * K * K).reshape(3, 4)
W4 = torch.tensor([1.5, -2.0, 0.5, 3.0])
W3 = torch.tensor([-1.0, 0.25, 2.0])
C = (torch.arange(12.0) + 1).reshape(3, 4) / 4


def fmt(g):
    return "none" if g is None else "{" + ", ".join(f"{v:.10g}" for v in g.reshape(-1).tolist()) + "}"


def show(name, f):
    x = X.clone().requires_grad_()
    w4 = W4.clone().requires_grad_()
    w3 = W3.clone().requires_grad_()
    y, v, extra = f(x, w4, w3)
    L = (y * C).sum() + extra
    L.backward()
    vfn = "-" if v is None else type(v.grad_fn).__name__
    print(f"{name}: y.grad_fn {type(y.grad_fn).__name__} v.grad_fn {vfn}")
    print(f"  y {fmt(y.detach())}")
    print(f"  x.grad {fmt(x.grad)}")
    print(f"  w4.grad {fmt(w4.grad)} w3.grad {fmt(w3.grad)}")


def case(f):
    return f


# 1. slice rows, mul_ by a scalar
show("slice mul_", lambda x, w4, w3: ((lambda y: (y[0:2].mul_(2), y)[1])(x * 1), None, 0))
# 2. select a row, mul_ by a tensor
show("select mul_ w4", lambda x, w4, w3: ((lambda y: (y[1].mul_(w4), y)[1])(x * 1), None, 0))
# 3. narrow columns, add_ a tensor (broadcast over rows)
show("narrow add_", lambda x, w4, w3: ((lambda y: (y.narrow(1, 1, 2).add_(w4[:2] * w4[2:]), y)[1])(x * 1), None, 0))
# 4. select a column, copy_ from w3
show("select col copy_", lambda x, w4, w3: ((lambda y: (y.select(1, 0).copy_(w3), y)[1])(x * 1), None, 0))
# 5. a row of the transpose (a column of y), mul_ by w3
show("transpose mul_", lambda x, w4, w3: ((lambda y: (y.t()[2].mul_(w3), y)[1])(x.sin()), None, 0))
# 6. chained views: rows 1:3, then column 1 of those, fill_
show("chained fill_", lambda x, w4, w3: ((lambda y: (y[1:3][:, 1].fill_(5.0), y)[1])(x * x), None, 0))
# 7. zero_ a column
show("column zero_", lambda x, w4, w3: ((lambda y: (y[:, 2].zero_(), y)[1])(x * 2), None, 0))


# 8. the view is used again after its in-place op, the base too
def view_used_after(x, w4, w3):
    y = x * 1
    v = y[1]
    v.mul_(w4)
    d = torch.tensor([1.0, -1.0, 2.0, 0.5])
    return y, v, (v * v * d).sum()


show("view used after", view_used_after)


# 9. the base is modified in place after the view is taken; the view is used after
def base_modified(x, w4, w3):
    y = x * 1
    v = y[:, 1:3]
    y.mul_(y.detach() + 1)
    y.add_(w4)
    return y, v, (v.sin()).sum()


show("base modified after view", base_modified)


# 10. a base that does not require grad, written through a view from w4
def buffer_written(x, w4, w3):
    b = torch.zeros(3, 4)
    b[2].copy_(w4 * w4)
    b[0].add_(x[0])
    return b, None, 0


show("buffer written", buffer_written)


# 11. two in-place ops on overlapping views (a row, then a column)
def two_views(x, w4, w3):
    y = x.sin()
    y[0].mul_(w4)
    y[:, 3].add_(w3)
    return y, None, 0


show("two overlapping views", two_views)


# 12. double backward through a view in-place op: g = dL/dw4 with create_graph, then
# d sum(g^2) / dx. (grad() is used for both steps: PyTorch 1.13's CopySlices also accumulates g
# into w4.grad during the first grad() call, a bug xgrad does not copy.)
x = X.clone().requires_grad_()
w4 = W4.clone().requires_grad_()
y = x * x
y[1].mul_(w4)
L = (y * C).sum()
(gw,) = torch.autograd.grad(L, w4, create_graph=True)
(gx,) = torch.autograd.grad((gw * gw).sum(), x)
print(f"double backward: gw {fmt(gw.detach())}")
print(f"  d sum(gw^2)/dx {fmt(gx)}")
