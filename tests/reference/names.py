# Reference values for the LibTorch names of issue 9 (names branch): tests/ops/elementwise.cpp
# (erf, remainder, fmod, isinf/isfinite, all/any, repeat, addmm), tests/ops/loss.cpp
# (binary_cross_entropy, smooth_l1_loss with beta), tests/ops/activation.cpp (relu6, normalize)
# and tests/nn/modules.cpp (Dropout2d masks, Unflatten). Run with /usr/bin/python3 (PyTorch 1.13).
import torch
import torch.nn.functional as F

def show(name, t):
    vals = ", ".join(f"{v:.9g}" for v in t.detach().reshape(-1).double().tolist())
    print(f"// {name}: sizes {list(t.shape)} dtype {t.dtype}\n{{{vals}}}")

X = torch.tensor([-2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 2.2, 3.7])
show("erf(X)", torch.erf(X))
x = X.double().requires_grad_()
torch.erf(x).sum().backward()
show("d/dx sum erf(X)", x.grad)

# remainder / fmod: the sign rules, int64 and float, Scalar and tensor divisors.
A = torch.tensor([-7.5, -3.0, -0.5, 0.0, 2.0, 5.25, 7.0])
show("remainder(A, 2.5)", torch.remainder(A, 2.5))
show("remainder(A, -2.5)", torch.remainder(A, -2.5))
show("fmod(A, 2.5)", torch.fmod(A, 2.5))
show("fmod(A, -2.5)", torch.fmod(A, -2.5))
I = torch.tensor([-7, -3, -1, 0, 2, 5, 7])
show("I % 3", I % 3)
show("I % -3", I % -3)
show("fmod(I, 3)", torch.fmod(I, 3))
D = torch.tensor([2.0, -1.5, 0.75, 3.0, -4.0, 1.25, -2.0])
show("remainder(A, D)", torch.remainder(A, D))
show("fmod(A, D)", torch.fmod(A, D))
a = A.double().requires_grad_()
d = D.double().requires_grad_()
torch.remainder(a, d).sum().backward()
show("remainder grad a", a.grad)
show("remainder grad d", d.grad)
a.grad = None; d.grad = None
torch.fmod(a, d).sum().backward()
show("fmod grad d", d.grad)

# repeat
R = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
show("R.repeat(2, 1, 2)", R.repeat(2, 1, 2))
r = R.double().requires_grad_()
(r.repeat(2, 3) * torch.arange(36, dtype=torch.double).reshape(4, 9)).sum().backward()
show("repeat grad", r.grad)

# addmm
M = torch.tensor([1.0, -2.0])
m1 = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [-1.0, 0.5, 2.0]])
m2 = torch.tensor([[0.5, -1.0], [2.0, 0.25], [-1.5, 3.0]])
show("addmm(M, m1, m2, beta=0.5, alpha=2)", torch.addmm(M, m1, m2, beta=0.5, alpha=2))

# binary_cross_entropy: clamped log at -100, weight, reductions, gradient.
P = torch.tensor([[0.0, 0.1, 0.5], [0.9, 1.0, 0.3]])
T = torch.tensor([[0.0, 1.0, 0.25], [1.0, 0.0, 0.7]])
W = torch.tensor([2.0, 0.5, 1.0])
show("bce none", F.binary_cross_entropy(P, T, reduction="none"))
show("bce weight mean", F.binary_cross_entropy(P, T, weight=W))
show("bce sum", F.binary_cross_entropy(P, T, reduction="sum"))
# log(1 - x) as written, not log1p(-x): they differ for small x in float32.
show("bce small x", F.binary_cross_entropy(torch.tensor([1e-4, 3e-5]), torch.zeros(2), reduction="none"))
p = P.double().requires_grad_()
t = T.double().requires_grad_()
F.binary_cross_entropy(p, t, weight=W.double()).backward()
show("bce grad input", p.grad)
p2 = torch.tensor([0.2, 0.6, 0.9], dtype=torch.double, requires_grad=True)
t2 = torch.tensor([0.0, 1.0, 0.3], dtype=torch.double, requires_grad=True)
F.binary_cross_entropy(p2, t2).backward()
show("bce grad target", t2.grad)

# smooth_l1_loss with beta (LibTorch's trailing beta argument)
si = torch.tensor([0.1, 1.5, 10.0])
st = torch.tensor([0.0, 1.0, 5.0])
show("smooth_l1 beta 0.5 mean", F.smooth_l1_loss(si, st, beta=0.5))
show("smooth_l1 beta 2 sum", F.smooth_l1_loss(si, st, reduction="sum", beta=2.0))

# relu6
show("relu6(X)", F.relu6(X * 3))

# normalize
N = torch.tensor([[3.0, -4.0, 0.0], [1.0, 2.0, -2.0]])
show("normalize p2 dim1", F.normalize(N))
show("normalize p1 dim0", F.normalize(N, p=1.0, dim=0))
show("normalize zeros", F.normalize(torch.zeros(2, 3)))
n = N.double().requires_grad_()
(F.normalize(n) * torch.arange(6, dtype=torch.double).reshape(2, 3)).sum().backward()
show("normalize grad", n.grad)

# Dropout2d: one mask value per (sample, channel), drawn after manual_seed.
torch.manual_seed(7)
y = F.dropout2d(torch.ones(2, 3, 2, 2), p=0.5)
show("dropout2d seed 7 p 0.5 [2,3,2,2]", y)
torch.manual_seed(3)
y = F.dropout2d(torch.ones(4, 5, 1, 3, dtype=torch.double), p=0.3)
show("dropout2d seed 3 p 0.3 [4,5,1,3] double", y[:, :, 0, 0])
# A 3-D input: LibTorch 1.13's F::dropout2d takes it as one unbatched (C, H, W) sample (it
# unsqueezes dim 0), so one draw per channel; Python 1.13 instead takes it as (N, C, L). xgrad
# follows LibTorch: the reference is the 4-D call on x.unsqueeze(0).
torch.manual_seed(11)
y = F.dropout2d(torch.ones(6, 4, 5).unsqueeze(0), p=0.4).squeeze(0)
show("dropout2d seed 11 p 0.4 [6,4,5] (LibTorch: unbatched C,H,W)", y[:, 0, 0])

# Unflatten
show("Unflatten(1, [2, -1]) of [2, 6]", torch.nn.Unflatten(1, (2, -1))(torch.arange(12.).reshape(2, 6)))
