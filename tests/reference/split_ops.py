# Reference values for the unbind / chunk / split / split_with_sizes / diagonal / pow_ cases of
# tests/ops/shape.cpp (suite split_ops), PyTorch 1.13: run with /usr/bin/python3 and paste.
import torch

torch.set_default_dtype(torch.float64)


def vals(t):
    return "{" + ", ".join(f"{v:.17g}" for v in t.detach().flatten().tolist()) + "}"


def show(name, t):
    print(f"{name}: sizes {list(t.shape)} strides {list(t.stride())} offset {t.storage_offset()} -> {vals(t)}")


def pieces(name, ts):
    print(f"{name}: {len(ts)} pieces, sizes {[list(t.shape) for t in ts]}, offsets {[t.storage_offset() for t in ts]}, "
          f"grad_fn {type(ts[0].grad_fn).__name__ if ts[0].grad_fn is not None else None}")
    for i, t in enumerate(ts):
        show(f"  [{i}]", t)


def weights(t):
    # 1, 2, 3, ... in t's shape: a gradient that tells every element apart.
    return torch.arange(1.0, t.numel() + 1).view(t.shape)


def grad_of(x, outs, used):
    # d/dx sum_i (outs[i] * weights(outs[i])).sum() over the outputs in `used` (others unused).
    loss = sum((outs[i] * weights(outs[i])).sum() for i in used)
    (g,) = torch.autograd.grad(loss, x)
    return g


x = torch.arange(30.0).view(2, 5, 3).requires_grad_()

# unbind
u = x.unbind(1)
pieces("x.unbind(1)", u)
show("grad unbind(1), outputs 0, 3 used", grad_of(x, u, [0, 3]))
u = x.unbind(-1)
pieces("x.unbind(-1)", u)
show("grad unbind(-1), outputs 2 used", grad_of(x, u, [2]))

# chunk: uneven (5 into 3 -> 2, 2, 1), fewer than asked (5 into 4 -> 2, 2, 1), negative dim
c = x.chunk(3, 1)
pieces("x.chunk(3, 1)", c)
show("grad chunk(3, 1), outputs 0, 2 used", grad_of(x, c, [0, 2]))
c = x.chunk(4, -2)
pieces("x.chunk(4, -2)", c)
c = torch.arange(6.0).chunk(4)
pieces("arange(6).chunk(4)", c)
c = torch.zeros(2, 0).chunk(3, 1)
pieces("zeros(2, 0).chunk(3, 1)", c)

# split: uneven (3 by 2 -> 2, 1), list form, negative dim, size larger than the dim
s = x.split(2, -1)
pieces("x.split(2, -1)", s)
show("grad split(2, -1), output 1 used", grad_of(x, s, [1]))
s = x.split([1, 3, 1], 1)
pieces("x.split([1, 3, 1], 1)", s)
show("grad split([1, 3, 1], 1), outputs 1, 2 used", grad_of(x, s, [1, 2]))
s = x.split_with_sizes([0, 2], 0)
pieces("x.split_with_sizes([0, 2], 0)", s)
s = x.split(7, 1)
pieces("x.split(7, 1)", s)
s = torch.zeros(0, 3).split(0)
pieces("zeros(0, 3).split(0)", s)

# diagonal: non-square, offsets, negative dims, non-contiguous input
m = torch.arange(15.0).view(3, 5).requires_grad_()
for off in [0, 2, -1, 4, 5, -3, -7]:
    d = m.diagonal(off)
    show(f"m.diagonal({off})", d)
d = m.diagonal(1)
show("grad m.diagonal(1)", torch.autograd.grad((d * weights(d)).sum(), m)[0])
d = m.diagonal(-2)
show("grad m.diagonal(-2)", torch.autograd.grad((d * weights(d)).sum(), m)[0])
t = torch.arange(60.0).view(4, 3, 5).transpose(0, 2).requires_grad_()  # [5, 3, 4], not contiguous
print("t strides", list(t.stride()), "contiguous", t.is_contiguous())
d = t.diagonal(1, -1, 0)
show("t.diagonal(1, -1, 0)", d)
show("grad t.diagonal(1, -1, 0)", torch.autograd.grad((d * weights(d)).sum(), t)[0])
d = t.diagonal(-1, 1, 2)
show("t.diagonal(-1, 1, 2)", d)
show("grad t.diagonal(-1, 1, 2)", torch.autograd.grad((d * weights(d)).sum(), t)[0])
print("diagonal grad_fn", type(m.diagonal().grad_fn).__name__)

# views
y = torch.randn(3, 4, requires_grad=True).clone()
for name, outs in [("unbind", y.unbind()), ("chunk", y.chunk(2)), ("split", y.split(2)),
                   ("split list", y.split([1, 2])), ("diagonal", [y.diagonal()])]:
    print(name, "is_view", outs[0]._is_view(), "base is y", outs[0]._base is y,
          "grad_fn", type(outs[0].grad_fn).__name__)
v = y[1:]
print("unbind of a view: base is y", v.unbind(1)[0]._base is y)

# in-place on an output of a multi-output op


def err(f):
    try:
        f()
        return "no error"
    except RuntimeError as e:
        return str(e)


def mod_unbind():
    y = torch.randn(3, 4, requires_grad=True).clone()
    y.unbind()[0].mul_(2)


def mod_split_base_then_use():
    y = torch.randn(3, 4, requires_grad=True).clone()
    a, b = y.split(2)
    y.add_(1)
    a.grad_fn


def mod_chunk_no_grad_base():
    z = torch.randn(3, 4)
    w = torch.randn(4, requires_grad=True)
    z.chunk(2)[1].mul_(w)


def mod_single_output():
    y = torch.randn(3, 4, requires_grad=True).clone()
    y.split(3)[0].add_(1)


def mod_under_no_grad_view():
    y = torch.randn(3, 4, requires_grad=True).clone()
    with torch.no_grad():
        a = y.unbind()[0]
    a.mul_(2)


def mod_diagonal():
    y = torch.randn(3, 4, requires_grad=True).clone()
    y.diagonal().mul_(2)
    return y.grad_fn


for f in [mod_unbind, mod_split_base_then_use, mod_chunk_no_grad_base, mod_single_output, mod_under_no_grad_view,
          mod_diagonal]:
    print(f.__name__, ":", err(f))
y = torch.zeros(3, 4)
y.unbind()[1].add_(5)  # nothing requires grad: allowed
show("unbind()[1].add_(5) without grad", y)
y = torch.arange(12.0).view(3, 4).requires_grad_().clone()
y.diagonal(1).mul_(10)
show("diagonal(1).mul_(10) values", y)
print("base grad_fn after diagonal mul_", type(y.grad_fn).__name__)

# pow_
p = torch.tensor([0.5, 1.5, 2.0, 3.0]).requires_grad_()
e = torch.tensor([2.0, -1.0, 0.5, 3.0]).requires_grad_()
q = p * 1.0
q.pow_(e)
show("(p * 1).pow_(e)", q)
print("pow_ tensor grad_fn", type(q.grad_fn).__name__)
gp, ge = torch.autograd.grad((q * weights(q)).sum(), [p, e])
show("grad p", gp)
show("grad e", ge)
q = p * 1.0
q.pow_(3)
print("pow_ scalar grad_fn", type(q.grad_fn).__name__)
show("(p * 1).pow_(3)", q)
show("grad p of pow_(3)", torch.autograd.grad((q * weights(q)).sum(), p)[0])
q = p * 1.0
q.pow_(e[None, :].detach().expand(1, 4)[0])
r = torch.arange(6.0).view(2, 3)
r.pow_(torch.tensor([0.0, 1.0, 2.0]))
show("arange(6).view(2, 3).pow_([0, 1, 2])", r)
i = torch.tensor([2, 3, -2])
i.pow_(3)
show("int pow_(3)", i)
i = torch.tensor([2, 3, -2, 1])
i.pow_(torch.tensor([2, -1, 3, -5]))
show("int pow_(int tensor)", i)
f32 = torch.tensor([1.5, 2.5], dtype=torch.float32)
f32.pow_(torch.tensor([2.0, 0.5], dtype=torch.float64))
print("float32.pow_(float64)", f32.dtype, vals(f32))
print("int.pow_(0.5):", err(lambda: torch.tensor([2]).pow_(0.5)))
print("int.pow_(-1):", err(lambda: torch.tensor([2]).pow_(-1)))
print("pow_ broadcast:", err(lambda: torch.zeros(3).pow_(torch.zeros(2, 3))))
print("leaf pow_:", err(lambda: torch.zeros(3, requires_grad=True).pow_(2)))

# errors
x = torch.zeros(3, 4)
for name, f in [("unbind(2)", lambda: x.unbind(2)), ("unbind 0-d", lambda: torch.tensor(1.0).unbind()),
                ("chunk(0)", lambda: x.chunk(0)), ("chunk 0-d", lambda: torch.tensor(1.0).chunk(1)),
                ("chunk(2, -3)", lambda: x.chunk(2, -3)), ("split(-1)", lambda: x.split(-1)),
                ("split(0)", lambda: x.split(0)), ("split([1, 1])", lambda: x.split([1, 1])),
                ("split([4, -1])", lambda: x.split([4, -1])), ("split(1, 2)", lambda: x.split(1, 2)),
                ("diagonal(0, 1, -1)", lambda: x.diagonal(0, 1, -1)), ("diagonal(0, 0, 2)", lambda: x.diagonal(0, 0, 2)),
                ("1-D diagonal", lambda: torch.zeros(3).diagonal())]:
    try:
        f()
        print(name, "no error")
    except (RuntimeError, IndexError) as ex:
        print(name, type(ex).__name__, str(ex))
