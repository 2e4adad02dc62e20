# Reference values for tests/ops/scatter_gather.cpp (run with /usr/bin/python3, PyTorch 1.13):
# gather, scatter_add, scatter, masked_fill, one_hot and gradients.
import math
import torch

def show(name, t):
    vals = ", ".join(f"{v:.9g}" for v in t.detach().reshape(-1).double().tolist())
    print(f"// {name}: sizes {list(t.shape)} dtype {t.dtype}\n{{{vals}}}")

def wave(shape, a, b, scale=1.0, dtype=torch.float32):
    n = math.prod(shape)
    return torch.tensor([scale * math.sin(a * i + b) for i in range(n)], dtype=torch.float64).reshape(shape).to(dtype)

X = wave([3, 4], 0.7, 0.1, 3.0)
I1 = torch.tensor([[3, 0], [1, 1], [2, 0]])        # gather along dim 1: [3, 2]
I0 = torch.tensor([[2, 0, 1, 1], [0, 0, 2, 1]])    # along dim 0: [2, 4]
show("X.gather(1, I1)", X.gather(1, I1))
show("X.gather(0, I0)", X.gather(0, I0))
show("X.t().gather(0, I0.t()[:3])", X.t().gather(0, I0.t()[:3].contiguous()))
S = wave([3, 4], 1.1, 0.3)
show("X.scatter_add(1, I1, S)", X.scatter_add(1, I1, S))
show("X.scatter_add(0, I0, S[:2])", X.scatter_add(0, I0, S[:2]))
Iu = torch.tensor([[3, 0], [1, 2], [2, 0]])        # unique per row: scatter has one answer
show("X.scatter(1, Iu, S)", X.scatter(1, Iu, S))
show("X.scatter(1, Iu, 7.5)", X.scatter(1, Iu, 7.5))
show("zeros(3, 5).scatter_(1, labels, 1)", torch.zeros(3, 5).scatter_(1, torch.tensor([[4], [0], [2]]), 1.0))
show("int scatter_add", torch.zeros(5, dtype=torch.long).scatter_add(0, torch.tensor([1, 3, 1, 1]), torch.tensor([10, 20, 30, 40])))

M = torch.tensor([[True, False, False, True], [False, False, True, False], [True, True, False, False]])
show("X.masked_fill(M, -1.5)", X.masked_fill(M, -1.5))
show("X.masked_fill(row mask, 2)", X.masked_fill(torch.tensor([False, True, False, True]), 2.0))
show("X.masked_fill(M, tensor(0.25))", X.masked_fill(M, torch.tensor(0.25)))
show("[4].masked_fill([3,1] mask) broadcast", torch.tensor([1.0, 2.0, 3.0, 4.0]).masked_fill(torch.tensor([[True], [False], [True]]), 9.0))
show("int masked_fill 5.7", torch.tensor([1, 2]).masked_fill(torch.tensor([True, False]), 5.7))
show("masked_fill(-inf) softmax", X.masked_fill(M, float("-inf")).softmax(1))

show("one_hot([0, 2, 1, 2])", torch.nn.functional.one_hot(torch.tensor([0, 2, 1, 2])))
show("one_hot([[1], [0]], 4)", torch.nn.functional.one_hot(torch.tensor([[1], [0]]), 4))

Xd = wave([3, 4], 0.7, 0.1, 3.0, torch.float64)
Sd = wave([3, 4], 1.1, 0.3, 1.0, torch.float64)
def grads(f, n):
    x = Xd.clone().requires_grad_()
    s = Sd.clone().requires_grad_()
    y = f(x, s)
    w = wave(list(y.shape), 1.3, 0.4, 1.0, torch.float64)
    (y * w).sum().backward()
    return x.grad, s.grad
show("grad gather(1, I1)", grads(lambda x, s: x.gather(1, I1), 1)[0])
# PyTorch 1.13's own backward rejects a src larger than index; slicing src to index's shape gives
# the gradient xgrad computes for the larger src (zero where src took no part).
gx, gs = grads(lambda x, s: x.scatter_add(1, I1, s[:, :2]), 2)
show("grad scatter_add x", gx); show("grad scatter_add src", gs)
gx, gs = grads(lambda x, s: x.scatter(1, Iu, s[:, :2]), 2)
show("grad scatter x", gx); show("grad scatter src", gs)
show("grad masked_fill x", grads(lambda x, s: x.masked_fill(M, 3.0), 1)[0])
v = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
x = Xd.clone().requires_grad_()
(x.masked_fill(M, v) * wave([3, 4], 1.3, 0.4, 1.0, torch.float64)).sum().backward()
show("grad masked_fill value", v.grad)
