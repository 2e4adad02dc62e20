#!/usr/bin/python3
"""Reference numbers for tests/autograd/double_backward.cpp: a gradient penalty through a small
CNN (conv2d -> tanh -> max_pool2d -> conv2d (stride 2, padding 1) -> sigmoid -> avg_pool2d ->
flatten -> linear), in float64.

    f(x) = sum(net(x)^2),  penalty = sum((df/dx)^2),  total = f + 0.5 * penalty

total.backward() needs the second derivative of every op. Inputs and parameters are fixed
formulas of their index, so the C++ test builds the same values without a random generator.
Run with /usr/bin/python3 (PyTorch 1.13); paste the printed values into the test.
"""
import math
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def fill(shape, a, b):
    n = math.prod(shape)
    return torch.tensor([math.sin(a * i + b) for i in range(n)]).reshape(shape)


x = fill((2, 1, 6, 6), 0.7, 0.1).requires_grad_()
w1 = (0.5 * fill((3, 1, 3, 3), 1.3, 0.2)).requires_grad_()
b1 = (0.1 * fill((3,), 2.1, 0.3)).requires_grad_()
w2 = (0.4 * fill((4, 3, 2, 2), 0.9, 0.4)).requires_grad_()
b2 = (0.1 * fill((4,), 1.7, 0.5)).requires_grad_()
w3 = (0.3 * fill((5, 4), 1.1, 0.6)).requires_grad_()
b3 = (0.1 * fill((5,), 0.3, 0.7)).requires_grad_()


def net(x):
    h = torch.tanh(F.conv2d(x, w1, b1, padding=1))          # [2, 3, 6, 6]
    h = F.max_pool2d(h, 2)                                   # [2, 3, 3, 3]
    h = torch.sigmoid(F.conv2d(h, w2, b2, stride=2, padding=1))  # [2, 4, 2, 2]
    h = F.avg_pool2d(h, 2).flatten(1)                        # [2, 4]
    return F.linear(h, w3, b3)                               # [2, 5]


f = net(x).pow(2).sum()
(gx,) = torch.autograd.grad(f, x, create_graph=True)
total = f + 0.5 * gx.pow(2).sum()
total.backward()


def show(name, t):
    print(f"// {name} {list(t.shape)}")
    print("{" + ", ".join(f"{v:.12e}" for v in t.flatten().tolist()) + "}")


print(f"total = {total.item():.12e}")
for name, p in [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2), ("w3", w3), ("b3", b3), ("x", x)]:
    show(name + ".grad", p.grad)
