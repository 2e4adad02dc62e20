# Reference values for tests/ops/indexing.cpp (PyTorch 1.13): run with /usr/bin/python3 and paste.
import torch


def show(name, t):
    vals = ", ".join(f"{v:g}" for v in t.flatten().tolist())
    print(f"{name}: sizes {list(t.shape)} -> {{{vals}}}")


x = torch.arange(24.0).view(2, 3, 4)
i = torch.tensor([1, 0, 1])
j = torch.tensor([0, 1])
show("x[1, :, 2:]", x[1, :, 2:])
show("x[..., 1]", x[..., 1])
show("x[None, 0, ::2]", x[None, 0, ::2])
show("x[:, True]", x[:, True])
show("x[False]", x[False])
show("x[-1, -1, None, -1]", x[-1, -1, None, -1])
show("x[i]", x[i])
show("x[:, [2, 0]]", x[:, torch.tensor([2, 0])])
show("x[x > 10]", x[x > 10])
m2 = torch.tensor([[True, False, False, True], [False, True, False, False], [False, False, False, True]])
show("x[0][m2]", x[0][m2])
show("x[:, m2]", x[:, m2])
show("x[:, tensor([True, False, True])]", x[:, torch.tensor([True, False, True])])
show("x[j, :, j]", x[j, :, j])
show("x[j, 0, j]", x[j, 0, j])
show("x[0, :, j]", x[0, :, j])
show("x[[[0],[1]], [[0, 1, 2]]]", x[torch.tensor([[0], [1]]), torch.tensor([[0, 1, 2]])])
show("x[j[:, None], 1:, j]", x[j[:, None], 1:, j])
show("x[..., tensor(2)]", x[..., torch.tensor(2)])

X = torch.ones(6, 8)
X[:, 2:6] = 0
show("X[:, 2:6] = 0", X)
y = torch.arange(12.0).view(3, 4)
y[y.remainder(3) == 0] = -1
show("y[y % 3 == 0] = -1", y)
y = torch.arange(12.0).view(3, 4)
y[torch.tensor([0, 2]), 1:3] = torch.tensor([[10.0, 11.0], [12.0, 13.0]])
show("y[[0, 2], 1:3] = [[10, 11], [12, 13]]", y)
y = torch.arange(12.0).view(3, 4)
y[:, torch.tensor([1, 3])] = 5
show("y[:, [1, 3]] = 5", y)
y = torch.arange(12.0).view(3, 4)
y[1] = torch.tensor([9.0, 8.0, 7.0, 6.0])
y[..., -1] = torch.tensor([-1.0, -2.0, -3.0])
show("y[1] = ...; y[..., -1] = ...", y)
y = torch.arange(12.0).view(3, 4).t()
y[y > 6] = torch.tensor([100.0, 200.0, 300.0, 400.0, 500.0])
show("yt[yt > 6] = [100..500] (base)", y.t())

w = torch.arange(6.0).view(2, 3).requires_grad_()
z = w[:, torch.tensor([0, 2, 0, 0])]
(z * torch.arange(8.0).view(2, 4)).sum().backward()
show("grad of w[:, [0, 2, 0, 0]]", w.grad)
w = torch.arange(6.0).view(2, 3).requires_grad_()
z = w[w > 2]
(z * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
show("grad of w[w > 2]", w.grad)
print("grad_fn", type(w[w > 2].grad_fn).__name__, type(w[1:, 0].grad_fn).__name__,
      type(w[..., 0].grad_fn).__name__, type(w[None].grad_fn).__name__, type(w[...].grad_fn).__name__)
