# Reference values for tests/ops/statistics.cpp (run with /usr/bin/python3, PyTorch 1.13):
# std, var, std_mean, var_mean, norm, logsumexp, cumsum and their gradients.
import math
import torch

def show(name, t):
    vals = ", ".join(f"{v:.9g}" for v in t.detach().reshape(-1).double().tolist())
    print(f"// {name}: sizes {list(t.shape)} dtype {t.dtype}\n{{{vals}}}")

def wave(shape, a, b, scale=1.0, dtype=torch.float32):
    # Same values as the tests' wave(): scale * sin(a * i + b), i the row-major position.
    n = math.prod(shape)
    return torch.tensor([scale * math.sin(a * i + b) for i in range(n)], dtype=torch.float64).reshape(shape).to(dtype)

X = wave([2, 3, 4], 0.7, 0.1, 3.0)
show("X.std()", X.std())
show("X.std(unbiased=False)", X.std(unbiased=False))
show("X.std(1)", X.std(1))
show("X.std([0, 2], keepdim)", X.std([0, 2], keepdim=True))
show("X.std(-1, correction=0)", torch.std(X, -1, correction=0))
show("X.std(2, correction=2)", torch.std(X, 2, correction=2))
show("X.var()", X.var())
show("X.var(0, unbiased=False)", X.var(0, unbiased=False))
show("X.var([1, 2])", X.var([1, 2]))
s, m = torch.std_mean(X, 1)
show("std_mean(X, 1) std", s); show("std_mean(X, 1) mean", m)
v, m = torch.var_mean(X, [0, 2], keepdim=True)
show("var_mean(X, [0,2], keepdim) var", v); show("var_mean(X, [0,2], keepdim) mean", m)
show("X.permute(2,0,1).std(0)", X.permute(2, 0, 1).std(0))
show("tensor([2.]).std()", torch.tensor([2.0]).std())

show("X.norm()", X.norm())
show("X.norm(1)", X.norm(1))
show("X.norm(3)", X.norm(3))
show("X.norm(0.5)", X.norm(0.5))
show("X.norm(inf)", X.norm(float("inf")))
show("X.norm(-inf)", X.norm(float("-inf")))
show("X.norm(0)", X.norm(0))
show("X.norm(2, [1])", torch.norm(X, 2, [1]))
show("X.norm(1, [0, 2], keepdim)", torch.norm(X, 1, [0, 2], keepdim=True))
show("X.norm(inf, [2])", torch.norm(X, float("inf"), [2]))

show("X.logsumexp(1)", X.logsumexp(1))
show("X.logsumexp([0, 2], keepdim)", X.logsumexp([0, 2], keepdim=True))
big = torch.tensor([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -1002.0]])
show("big.logsumexp(1)", big.logsumexp(1))
show("[-inf, -inf].logsumexp(0)", torch.tensor([float("-inf"), float("-inf")]).logsumexp(0))
show("[inf, 1].logsumexp(0)", torch.tensor([float("inf"), 1.0]).logsumexp(0))
show("int logsumexp", torch.tensor([1, 2]).logsumexp(0))

show("X.cumsum(1)", X.cumsum(1))
show("X.cumsum(-1)", X.cumsum(-1))
show("X.cumsum(0, dtype=float64)", X.cumsum(0, dtype=torch.float64))
show("int cumsum", torch.tensor([[1, 2, 3], [4, 5, 6]]).cumsum(1))
show("bool cumsum", torch.tensor([True, False, True]).cumsum(0))

# Gradients (float64), each weighted by W so every output element matters.
Xd = wave([2, 3, 4], 0.7, 0.1, 3.0, torch.float64)
def grad(f, wshape_from=None):
    x = Xd.clone().requires_grad_()
    y = f(x)
    w = wave(list(y.shape), 1.3, 0.4, 1.0, torch.float64)
    (y * w).sum().backward()
    return x.grad
show("grad std(1)", grad(lambda x: x.std(1)))
show("grad var([0, 2], keepdim)", grad(lambda x: x.var([0, 2], keepdim=True)))
show("grad std_mean(2) both", grad(lambda x: torch.stack(torch.std_mean(x, 2))))
show("grad norm(3, [1])", grad(lambda x: torch.norm(x, 3, [1])))
show("grad norm()", grad(lambda x: x.norm()))
show("grad norm(inf, [2])", grad(lambda x: torch.norm(x, float("inf"), [2])))
show("grad logsumexp(1)", grad(lambda x: x.logsumexp(1)))
show("grad cumsum(1)", grad(lambda x: x.cumsum(1)))
# Ties in the inf-norm share the gradient; a zero std / norm gives a zero gradient.
t = torch.tensor([3.0, -3.0, 1.0], requires_grad=True)
t.norm(float("inf")).backward(); show("grad inf-norm ties", t.grad)
z = torch.zeros(3, requires_grad=True)
z.std().backward(); show("grad std of constant", z.grad)
z.grad = None
z.norm().backward(); show("grad norm of zeros", z.grad)
