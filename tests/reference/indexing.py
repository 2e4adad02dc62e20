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

# ---- LibTorch parity (tests/ops/indexing.cpp, suite libtorch_parity): index_put_ with accumulate,
# the set-item value rule, 0-dim integer indices of any width.
y = torch.arange(12.0).view(3, 4)
y.index_put_((torch.tensor([0, 2, 0]),), torch.tensor([[1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0, 40.0], [100.0, 200.0, 300.0, 400.0]]), accumulate=True)
show("y.index_put_(([0, 2, 0],), rows, accumulate=True)", y)
y = torch.arange(12.0).view(3, 4)
y.index_put_((torch.tensor([1, 1]), torch.tensor([3, 3])), torch.tensor(0.5), accumulate=True)
show("y.index_put_(([1, 1], [3, 3]), 0.5, accumulate=True)", y)
y = torch.arange(12).view(3, 4)
y.index_put_((torch.tensor([[True, False, False, True], [False] * 4, [True] * 4]),), torch.tensor(7), accumulate=True)
show("int y.index_put_((mask,), 7, accumulate=True)", y)
s = torch.arange(6.0).view(2, 3).requires_grad_()
v = torch.tensor([[1.0, 2.0, 3.0]]).requires_grad_()
out = torch.index_put(s, (torch.tensor([1, 1, 0]),), v, accumulate=True)
show("index_put(s, ([1, 1, 0],), v, accumulate=True)", out)
(out * torch.arange(6.0).view(2, 3)).sum().backward()
show("grad s (accumulate)", s.grad)
show("grad v (accumulate)", v.grad)
s = torch.arange(6.0).view(2, 3).requires_grad_()
v = torch.tensor([7.0, 8.0]).requires_grad_()
out = torch.index_put(s, (torch.tensor([0, 1]), torch.tensor([2, 0])), v)
show("index_put(s, ([0, 1], [2, 0]), v)", out)
(out * torch.arange(6.0).view(2, 3)).sum().backward()
show("grad s (write)", s.grad)
show("grad v (write)", v.grad)
print("grad_fn", type(out.grad_fn).__name__)

a = torch.arange(6.0).view(2, 3)
a[1] = torch.tensor([[[9.0, 8.0, 7.0]]])
a[torch.tensor([0])] = torch.tensor([[[-1.0, -2.0, -3.0]]])
show("a[1] = [[[9, 8, 7]]]; a[[0]] = [[[-1, -2, -3]]]", a)
b = torch.tensor(3.0)
b[None] = torch.tensor([[5.0]])
show("b[None] = [[5.]]", b)

x = torch.arange(12.0).view(3, 4)
i16 = torch.tensor(2, dtype=torch.int16)
i8 = torch.tensor(-1, dtype=torch.int8)
show("x[int16 2]", x[i16])
show("x[:, int8 -1]", x[:, i8])
print("x[int16 2] is a view:", x[i16].data_ptr() == x[2].data_ptr())
