# Reference values for tests/ops/matmul.cpp (run with /usr/bin/python3, PyTorch 1.13).
import torch

def show(name, t):
    vals = ", ".join(f"{v:.9g}" for v in t.detach().reshape(-1).double().tolist())
    print(f"// {name}: sizes {list(t.shape)} dtype {t.dtype}\n{{{vals}}}")

A = torch.arange(6.).view(2, 3) - 2.5          # [2, 3]
B = torch.arange(12.).view(3, 4) * 0.5 - 1.0   # [3, 4]
v = torch.tensor([1.0, -2.0, 0.5])
w = torch.tensor([0.5, 1.5])
show("A.mm(B)", A.mm(B))
show("A.t().t().mm(B)", A.t().t().mm(B))
show("B.t().mm(A.t())", B.t().mm(A.t()))
show("matmul(v, v)", torch.matmul(v, v))
show("matmul(A, v)", torch.matmul(A, v))
show("matmul(w, A)", torch.matmul(w, A))
C = torch.arange(24.).view(2, 3, 4) * 0.25 - 2.0   # [2, 3, 4]
D = torch.arange(8.).view(4, 2) - 3.0              # [4, 2]
show("matmul(C, D)", torch.matmul(C, D))
show("bmm(C, C.transpose(1, 2))", torch.bmm(C, C.transpose(1, 2)))
E = torch.arange(16.).view(2, 1, 2, 4) - 5.0       # [2, 1, 2, 4]
F = torch.arange(24.).view(3, 4, 2) * 0.5          # [3, 4, 2] -> batch [2, 3]
show("matmul(E, F) batch-broadcast", torch.matmul(E, F))
show("matmul(v3 [3], C.transpose(1,2)) ", torch.matmul(torch.tensor([1., 0., -1., 2.]), C.transpose(1, 2)))
show("matmul(C, [1,0,-1,2])", torch.matmul(C, torch.tensor([1., 0., -1., 2.])))
print(torch.tensor([[1, 2], [3, 4]]).mm(torch.tensor([[5, 6], [7, 8]])))
