# Reference values for tests/ops/sorting.cpp (run with /usr/bin/python3, PyTorch 1.13): sort and
# topk, values, indices and gradients.
import math
import torch

def show(name, t):
    vals = ", ".join(f"{v:.9g}" for v in t.detach().reshape(-1).double().tolist())
    print(f"// {name}: sizes {list(t.shape)} dtype {t.dtype}\n{{{vals}}}")

def wave(shape, a, b, scale=1.0, dtype=torch.float32):
    n = math.prod(shape)
    return torch.tensor([scale * math.sin(a * i + b) for i in range(n)], dtype=torch.float64).reshape(shape).to(dtype)

X = wave([2, 3, 4], 0.7, 0.1, 3.0)
v, i = X.sort()
show("X.sort() values", v); show("X.sort() indices", i)
v, i = X.sort(1, descending=True)
show("X.sort(1, descending) values", v); show("X.sort(1, descending) indices", i)
v, i = X.sort(0)
show("X.sort(0) values", v); show("X.sort(0) indices", i)
# Ties stay in input order (stable); NaN sorts last ascending, first descending.
T = torch.tensor([3.0, 1.0, 3.0, float("nan"), 1.0, 2.0, 3.0])
v, i = T.sort(stable=True)
show("T.sort(stable) values", v); show("T.sort(stable) indices", i)
v, i = T.sort(stable=True, descending=True)
show("T.sort(stable, descending) values", v); show("T.sort(stable, descending) indices", i)
v, i = torch.tensor([[5, 2, 8], [1, 9, 4]]).sort(1)
show("int sort values", v); show("int sort indices", i)

v, i = X.topk(2)
show("X.topk(2) values", v); show("X.topk(2) indices", i)
v, i = X.topk(2, 1, largest=False)
show("X.topk(2, 1, smallest) values", v); show("X.topk(2, 1, smallest) indices", i)
v, i = X.topk(1, 0)
show("X.topk(1, 0) values", v); show("X.topk(1, 0) indices", i)
v, i = torch.tensor([1.0, float("nan"), 3.0, 2.0]).topk(2)
show("nan topk values", v); show("nan topk indices", i)

Xd = wave([2, 3, 4], 0.7, 0.1, 3.0, torch.float64)
def grad(f):
    x = Xd.clone().requires_grad_()
    y = f(x)
    w = wave(list(y.shape), 1.3, 0.4, 1.0, torch.float64)
    (y * w).sum().backward()
    return x.grad
show("grad sort(1, descending)", grad(lambda x: x.sort(1, descending=True)[0]))
show("grad topk(2)", grad(lambda x: x.topk(2)[0]))
show("grad topk(2, 0, smallest)", grad(lambda x: x.topk(1, 0, largest=False)[0]))
