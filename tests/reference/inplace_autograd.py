#!/usr/bin/python3
"""Reference numbers for tests/autograd/inplace.cpp: gradients through in-place ops on non-leaf
tensors (PyTorch records them: the tensor's grad_fn becomes the op's node), and which cases
make backward throw because a saved tensor was modified in place.

Inputs are x = [0.5, -1.0, 2.0, 0.25] and w = [1.5, 2.0, -0.5, 3.0], both leaves requiring grad
(float32). Each case builds y from them, then L = sum(y * c) with c = [1, 2, 3, 4], and prints
x.grad, w.grad (None when not reached), y.grad_fn's name, or the error message.
Run with /usr/bin/python3 (PyTorch 1.13); paste the printed values into the test.
"""
import torch

c = torch.tensor([1.0, 2.0, 3.0, 4.0])


def show(name, f):
    x = torch.tensor([0.5, -1.0, 2.0, 0.25], requires_grad=True)
    w = torch.tensor([1.5, 2.0, -0.5, 3.0], requires_grad=True)
    try:
        y = f(x, w)
        fn = type(y.grad_fn).__name__
        (y * c).sum().backward()
        fmt = lambda g: "none" if g is None else "{" + ", ".join(f"{v:.7g}" for v in g.tolist()) + "}"
        print(f"{name}: grad_fn {fn} y {fmt(y.detach())} x.grad {fmt(x.grad)} w.grad {fmt(w.grad)}")
    except RuntimeError as e:
        print(f"{name}: ERROR {str(e).splitlines()[0][:160]}")


show("add_ tensor", lambda x, w: (x * 2).add_(w))
show("add_ alpha", lambda x, w: (x * 2).add_(w, alpha=-3))
show("add_ scalar", lambda x, w: (x * 2).add_(1.5))
show("sub_ tensor", lambda x, w: (x * 2).sub_(w))
show("mul_ tensor", lambda x, w: (x * 2).mul_(w))
show("mul_ scalar", lambda x, w: (x * 2).mul_(-1.5))
show("div_ tensor", lambda x, w: (x * 2).div_(w))
show("div_ scalar", lambda x, w: (x * 2).div_(4.0))
show("relu_", lambda x, w: (x * 2).relu_())
show("sigmoid_", lambda x, w: (x * 2).sigmoid_())
show("tanh_", lambda x, w: (x * w).tanh_())
show("clamp_", lambda x, w: (x * 2).clamp_(-1.0, 2.0))
show("fill_", lambda x, w: (x * 2).fill_(3.0))
show("zero_", lambda x, w: (x * 2).zero_())
show("copy_", lambda x, w: (x * 2).copy_(w))
show("copy_ broadcast", lambda x, w: (x * 2).copy_(w[1:2] * 1))
show("chain mul_ add_", lambda x, w: (x * 2).mul_(w).add_(x))
show("residual add_", lambda x, w: (x * w).add_(x.exp()))
show("const add_ w", lambda x, w: torch.zeros(4).add_(w))
show("masked_fill_", lambda x, w: (x * 2).masked_fill_(torch.tensor([True, False, True, False]), 7.0))
# Saved tensors modified in place: backward throws.
show("sigmoid then mul_", lambda x, w: (lambda y: y.mul_(2))(x.sigmoid()))
show("sigmoid_ then add_", lambda x, w: (x * 1).sigmoid_().add_(1))
show("exp then add_", lambda x, w: (lambda y: y.add_(1))(x.exp()))
show("mul_ self", lambda x, w: (lambda y: y.mul_(y))(x * 1))


# Hooks: LibTorch's C++ semantics (test/cpp/api/autograd.cpp, HooksInplace*) differ from
# PyTorch 1.13's Python ones there, so tests/autograd/inplace.cpp checks hand-worked values.

# Double backward through mul_ (create_graph): d/dx of sum(dL/dx ^ 2).
x = torch.tensor([0.5, -1.0, 2.0, 0.25], requires_grad=True)
y = x * x
y.mul_(x)  # x^3
g, = torch.autograd.grad((y * c).sum(), x, create_graph=True)
(g * g).sum().backward()
print("double backward: g", g.tolist(), "x.grad", x.grad.tolist())
