# Reference values for tests/ops/reduce.cpp (run with /usr/bin/python3, PyTorch 1.13).
import torch

def show(name, t):
    vals = ", ".join(f"{v:.9g}" for v in t.detach().reshape(-1).double().tolist())
    print(f"// {name}: sizes {list(t.shape)} dtype {t.dtype}\n{{{vals}}}")

T = torch.tensor([[[3., 1, 4, 1], [5, 9, 2, 6], [5, 3, 5, 8]], [[9, 7, 9, 3], [2, 3, 8, 4], [6, 2, 6, 4]]])
show("sum()", T.sum())
show("sum(0)", T.sum(0))
show("sum((0, 2), keepdim)", T.sum((0, 2), keepdim=True))
show("sum(-1)", T.sum(-1))
show("mean()", T.mean())
show("mean(1)", T.mean(1))
show("mean((-1, -3))", T.mean((-1, -3)))
show("max()", T.max())
show("min()", T.min())
v, i = T.max(1)
show("max(1) values", v); show("max(1) indices", i)
v, i = T.min(2, keepdim=True)
show("min(2, keepdim) values", v); show("min(2, keepdim) indices", i)
show("amax((0, 2))", T.amax((0, 2)))
show("amin(1)", T.amin(1))
show("argmax()", T.argmax())
show("argmax(1)", T.argmax(1))
show("argmin(2, keepdim)", T.argmin(2, keepdim=True))

x = T.clone().requires_grad_()
x.max().backward()
show("max() grad", x.grad)
x.grad = None
x.amax((0, 2)).sum().backward()
show("amax((0,2)) grad", x.grad)
x.grad = None
(x.max(1)[0] * torch.arange(1., 9.).view(2, 4)).sum().backward()
show("max(1) grad weighted", x.grad)
x.grad = None
x.min(2, keepdim=True)[0].sum().backward()
show("min(2, keepdim) grad", x.grad)
print(torch.tensor([True, False, True]).sum(), torch.tensor([3, 4]).sum().dtype)
