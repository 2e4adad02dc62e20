# Reference values for tests/ops/elementwise.cpp (run with /usr/bin/python3, PyTorch 1.13).
import torch

def show(name, t):
    vals = ", ".join(f"{v:.9g}" for v in t.detach().reshape(-1).double().tolist())
    print(f"// {name}: sizes {list(t.shape)} dtype {t.dtype}\n{{{vals}}}")

A = torch.tensor([[[0.5, -1.25, 2.0, 3.5]], [[-0.75, 1.5, -2.25, 0.25]], [[1.0, -0.5, 0.125, -3.0]]])
B = torch.tensor([[1.5, 0.25, -2.0, 4.0], [-1.0, 2.5, 0.75, -0.5]])
show("A + B", A + B)
show("A - B", A - B)
show("A.sub(B, alpha=2)", A.sub(B, alpha=2))
show("A * B", A * B)
show("A / B", A / B)
show("maximum(A, B)", torch.maximum(A, B))
show("minimum(A, B)", torch.minimum(A, B))
show("pow(|A| + 0.5, B)", torch.pow(A.abs() + 0.5, B))
show("where(A > B, A, B * 2)", torch.where(A > B, A, B * 2))

X = torch.tensor([-2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 2.2, 3.7])
P = torch.tensor([0.1, 0.5, 1.0, 2.0, 3.3, 10.0])
show("exp(X)", X.exp())
show("abs(X)", X.abs())
show("square(X)", X.square())
show("sin(X)", X.sin())
show("cos(X)", X.cos())
show("clamp(X, -1, 2)", X.clamp(-1, 2))
show("clamp(X, min=0.5)", X.clamp(min=0.5))
show("X ** 3", X ** 3)
show("2 - X", 2 - X)
show("3 / (X + 4)", 3 / (X + 4))
show("log(P)", P.log())
show("sqrt(P)", P.sqrt())
show("rsqrt(P)", P.rsqrt())
show("P ** 2.5", P ** 2.5)
show("P ** -0.5", P ** -0.5)

# gradients of maximum with ties, clamp at the bounds, abs at 0
a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = torch.tensor([1.0, 5.0, 0.0], requires_grad=True)
torch.maximum(a, b).sum().backward()
show("maximum grad a", a.grad)
show("maximum grad b", b.grad)
x = torch.tensor([-1.0, 0.0, 0.5, 2.0, 3.0], requires_grad=True)
x.clamp(0, 2).sum().backward()
show("clamp(0,2) grad", x.grad)
x.grad = None
x.abs().sum().backward()
show("abs grad", x.grad)
x0 = torch.tensor([0.0, 0.0, 2.0], requires_grad=True)
e0 = torch.tensor([2.0, 0.0, 3.0], requires_grad=True)
(x0 ** e0).sum().backward()
show("pow(x0, e0) grad x", x0.grad)
show("pow(x0, e0) grad e", e0.grad)

# type promotion
print((torch.tensor([1, 2]) + torch.tensor([0.5, 0.5])).dtype)               # float32
print((torch.tensor([1.0]) + torch.tensor([1.0], dtype=torch.float64)).dtype)  # float64
print((torch.tensor([1, 2]) * 2.5).dtype)                                     # float32
print((torch.tensor([1, 3]) / torch.tensor([2, 2])))                          # [0.5, 1.5]
print((torch.tensor([1.0]) + torch.tensor(1.5, dtype=torch.float64)).dtype)   # float32
print((torch.tensor([1, 2]) + torch.tensor(1.5, dtype=torch.float64)).dtype)  # float64
print(torch.tensor([1, 2]) + torch.tensor([3, 4]), torch.tensor([5, 6]) * torch.tensor([2, 3]))
print(torch.tensor([0.1], dtype=torch.float32) == 0.1)                        # True

# log1p, expm1, clamp_min, clamp_max (issue 9 item 3)
L = torch.tensor([-0.9, -1e-7, 0.0, 1e-8, 0.5, 3.0, 100.0])
show("log1p(L)", L.log1p())
show("expm1(L)", L.expm1())
show("log1p(int)", torch.tensor([0, 1, 3]).log1p())
show("clamp_min(X, 0.4)", X.clamp_min(0.4))
show("clamp_max(X, 1.0)", X.clamp_max(1.0))
show("clamp_min(int, 2)", torch.tensor([1, 2, 3]).clamp_min(2))
show("clamp_min(int, 1.5)", torch.tensor([1, 2, 3]).clamp_min(1.5))
show("clamp_min(nan)", torch.tensor([float("nan"), 1.0]).clamp_min(0.0))
x = torch.tensor([-1.0, 0.0, 0.5, 2.0, 3.0], requires_grad=True)
x.clamp_min(0.5).sum().backward()
show("clamp_min(0.5) grad", x.grad)
x.grad = None
x.clamp_max(2.0).sum().backward()
show("clamp_max(2) grad", x.grad)
x.grad = None
(x.log1p() + x.expm1()).sum().backward()
show("log1p + expm1 grad", x.grad)
