#!/usr/bin/python3
"""Reference values for tests/autograd/{engine,basic_ops,function}.cpp's LibTorch-API cases:
backward(inputs=...), UndefinedGrad with materialize_grads on/off, reentrant backward (a custom
Function calling backward() inside its backward) and the create_graph warning. Inputs are fixed
formulas of the index so the C++ tests rebuild them without a generator.
Run with /usr/bin/python3 (PyTorch 1.13); paste the printed values into the tests.
"""
import math
import warnings
import torch
from torch.autograd import Function
UndefinedGrad = torch._C._functions.UndefinedGrad

torch.set_printoptions(precision=8)


def fill(n, a, b):
    return torch.tensor([math.sin(a * i + b) for i in range(n)], dtype=torch.float32)


def show(name, t):
    print(name, "None" if t is None else [round(v, 7) for v in t.flatten().tolist()])


# backward with inputs, leaves only: z = x*x + x*y + y*y
x = fill(4, 0.7, 0.1).requires_grad_()
y = fill(4, 1.3, 0.2).requires_grad_()
z = x * x + x * y + y * y
z.backward(torch.ones(4), inputs=[x])
show("inputs=[x]: x.grad", x.grad)
show("inputs=[x]: y.grad", y.grad)

# backward with a leaf and a non-leaf input: w = y*z + x*y + y*y with z = x*x
x = fill(4, 0.7, 0.1).requires_grad_()
y = fill(4, 1.3, 0.2).requires_grad_()
z = x * x
w = y * z + x * y + y * y
w.backward(torch.ones(4), inputs=[x, z])
show("inputs=[x,z]: x.grad", x.grad)
show("inputs=[x,z]: z.grad", z.grad)
show("inputs=[x,z]: y.grad", y.grad)

# backward with inputs a second time accumulates into the same grads
w2 = (x * 3).sum()
w2.backward(inputs=[x])
show("inputs=[x] again, (3x).sum(): x.grad", x.grad)


# UndefinedGrad: what MyFunction.backward receives, and x.grad after
for materialize in (True, False):
    seen = []

    class Pass(Function):
        @staticmethod
        def forward(ctx, v):
            ctx.set_materialize_grads(materialize)
            return v.clone()

        @staticmethod
        def backward(ctx, g):
            seen.append("None" if g is None else g.tolist())
            return g

    x = torch.ones(3, requires_grad=True)
    UndefinedGrad()(Pass.apply(x * 2)).sum().backward()
    print(f"UndefinedGrad materialize={materialize}: backward saw {seen}, x.grad", None if x.grad is None else x.grad.tolist())


# needs_input_grad for (a requires grad, b not, c requires grad)
class Three(Function):
    @staticmethod
    def forward(ctx, a, b, c):
        return a + b + c

    @staticmethod
    def backward(ctx, g):
        print("needs_input_grad", ctx.needs_input_grad)
        return g, g, g


a = torch.ones(2, requires_grad=True)
b = torch.ones(2)
c = torch.ones(2, requires_grad=True)
Three.apply(a, b, c).sum().backward()


# Reentrant: forward builds x*y on its input's data; backward runs backward on that graph.
y_data = fill(4, 0.9, 0.3).reshape(2, 2)


class Reenter(Function):
    @staticmethod
    def forward(ctx, inp):
        with torch.enable_grad():
            ctx.x = inp.detach().requires_grad_()
            ctx.y = y_data.detach().requires_grad_()
            ctx.out = ctx.x * ctx.y
        return ctx.out.detach()

    @staticmethod
    def backward(ctx, g):
        with torch.enable_grad():
            ctx.out.sum().backward()
        return ctx.x.grad * g


x = fill(4, 0.4, 0.5).reshape(2, 2).requires_grad_()
(Reenter.apply(x) * 3).sum().backward()
show("reentrant (out*3).sum(): x.grad", x.grad)


# Deep reentrant: each backward re-enters until the saved value reaches 0; counts the calls.
calls = [0]


class DeepReenter(Function):
    @staticmethod
    def forward(ctx, v):
        with torch.enable_grad():
            ctx.x = v.detach().requires_grad_() - 1
        return ctx.x.detach()

    @staticmethod
    def backward(ctx, g):
        calls[0] += 1
        if not ctx.x.item():
            return g
        with torch.enable_grad():
            DeepReenter.apply(ctx.x).sum().backward()
        return g


v = torch.tensor([200.0], requires_grad=True)
(DeepReenter.apply(v) * 2).sum().backward()
print("deep reentrant from 200: backward calls", calls[0], "v.grad", v.grad.tolist())


# Priority: reentrant backward passes finish before the outer pass goes on.
order = []


class Mark(Function):
    @staticmethod
    def forward(ctx, v):
        return v.clone()

    @staticmethod
    def backward(ctx, g):
        order.append(0)
        return g


class ReenterCount(Function):
    @staticmethod
    def forward(ctx, v):
        with torch.enable_grad():
            ctx.x = v.detach().requires_grad_() - 1
        return ctx.x.detach()

    @staticmethod
    def backward(ctx, g):
        order.append(1)
        if not ctx.x.item():
            return g
        with torch.enable_grad():
            ReenterCount.apply(ctx.x).sum().backward()
        return g


a = Mark.apply(torch.tensor([6.0], requires_grad=True))
b = ReenterCount.apply(torch.tensor([9.0], requires_grad=True))
(a * b).backward()
print("priority order", order)


# The create_graph warning
torch.set_warn_always(True)
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    x = torch.ones(3, requires_grad=True)
    (x * x).sum().backward(create_graph=True)
    print("create_graph warning:", [str(m.message)[:60] for m in w])
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    x = torch.ones(3, requires_grad=True)
    torch.autograd.grad((x * x).sum(), [x], create_graph=True)
    print("grad(create_graph) warnings:", len(w))
