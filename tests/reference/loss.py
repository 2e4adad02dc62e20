"""Reference values for tests/ops/loss.cpp (PyTorch 1.13, float64).

Run: /usr/bin/python3 tests/reference/loss.py > /tmp/loss_ref.inc
and paste the printed block into tests/ops/loss.cpp between the REFERENCE markers.
Every case records the forward result and the gradients of the differentiable inputs; for
reduction='none' the upstream gradient is `gout` (defined below), otherwise 1.
"""
import torch
import torch.nn.functional as F

torch.set_printoptions(precision=17)
D = torch.float64


def t(vals, shape):
    return torch.tensor(vals, dtype=D).reshape(shape)


# Fixed inputs, pasted verbatim into the C++ test.
X = [0.3, -1.2, 2.5, 0.0, -0.7, 1.1, -2.4, 0.9, 1.6, -0.2, 0.45, -3.1]
Y = [0.1, -0.4, 0.8, 1.3, -0.7, 2.9, -1.0, 0.2, 0.9, 0.6, -0.15, -2.0]
P = [0.0, 1.0, 0.25, 0.9, 0.5, 0.1, 1.0, 0.0, 0.75, 0.3, 0.6, 0.05]  # BCE targets in [0, 1]
Y4 = [0.5, -1.0, 2.0, 0.0]  # broadcast target [4]
W4 = [0.5, 1.0, 2.0, 1.5]  # class / element weights [4]
PW4 = [2.0, 0.5, 1.0, 3.0]  # pos_weight [4]
G12 = [1.0, -0.5, 2.0, 0.25, 0.75, -1.5, 0.1, 3.0, -2.0, 0.6, 1.2, -0.3]  # upstream grad for 'none'
T3 = [1, 0, 3]  # class targets for [3, 4] logits
XS = [0.2, -0.5, 1.4, 0.8, -1.1, 0.3, 2.2, -0.6, 0.05, 1.7, -0.9, 0.4,
      -0.3, 0.9, 1.1, -2.0, 0.6, 0.0, -0.4, 1.3, 0.7, -1.5, 0.25, 0.35]  # [2, 3, 2, 2] logits
TS = [0, 2, 1, 1, 2, 0, -100, 1]  # [2, 2, 2] targets, one ignored (-100)
W3 = [0.7, 1.3, 2.0]

cases = []


def record(name, fn, inputs, reduction):
    ins = [i.detach().clone().requires_grad_(True) for i in inputs]
    out = fn(*ins)
    if reduction == 'none':
        g = torch.tensor(G12[: out.numel()], dtype=D).reshape(out.shape)
        out.backward(g)
    else:
        out.backward()
    grads = [i.grad.flatten().tolist() if i.grad is not None else [] for i in ins]
    cases.append((name, out.detach().flatten().tolist(), grads))


x = t(X, (3, 4)); y = t(Y, (3, 4)); p = t(P, (3, 4)); y4 = t(Y4, (4,)); w4 = t(W4, (4,)); pw4 = t(PW4, (4,))
for r in ['none', 'mean', 'sum']:
    record(f'mse_{r}', lambda a, b: F.mse_loss(a, b, reduction=r), [x, y], r)
    record(f'mse_bcast_{r}', lambda a, b: F.mse_loss(a, b, reduction=r), [x, y4], r)
    record(f'l1_{r}', lambda a, b: F.l1_loss(a, b, reduction=r), [x, y], r)
    for beta in [1.0, 0.5]:
        record(f'smooth_l1_b{beta}_{r}', lambda a, b: F.smooth_l1_loss(a, b, reduction=r, beta=beta), [x, y], r)
    for delta in [1.0, 2.0]:
        record(f'huber_d{delta}_{r}', lambda a, b: F.huber_loss(a, b, reduction=r, delta=delta), [x, y], r)
    record(f'bce_{r}', lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=r), [x, p], r)
    record(f'bce_w_{r}', lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=w4, reduction=r), [x, p], r)
    record(f'bce_pw_{r}', lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=pw4, reduction=r), [x, p], r)
    record(f'bce_w_pw_{r}',
           lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=w4, pos_weight=pw4, reduction=r), [x, p], r)

t3 = torch.tensor(T3)
t3_ign = torch.tensor([1, 0, 0])  # ignore_index=0 drops two samples
xs = t(XS, (2, 3, 2, 2)); ts = torch.tensor(TS).reshape(2, 2, 2); w3 = t(W3, (3,))
p = t(P, (3, 4))
for r in ['none', 'mean', 'sum']:
    record(f'ce_{r}', lambda a: F.cross_entropy(a, t3, reduction=r), [x], r)
    record(f'ce_w_{r}', lambda a: F.cross_entropy(a, t3, weight=w4, reduction=r), [x], r)
    record(f'ce_ign_{r}', lambda a: F.cross_entropy(a, t3_ign, ignore_index=0, reduction=r), [x], r)
    record(f'ce_ls_{r}', lambda a: F.cross_entropy(a, t3, label_smoothing=0.2, reduction=r), [x], r)
    record(f'ce_w_ls_{r}', lambda a: F.cross_entropy(a, t3, weight=w4, label_smoothing=0.2, reduction=r), [x], r)
    record(f'ce_w_ign_ls_{r}',
           lambda a: F.cross_entropy(a, t3_ign, weight=w4, ignore_index=0, label_smoothing=0.3, reduction=r), [x], r)
    record(f'ce_ign_ls_{r}', lambda a: F.cross_entropy(a, t3_ign, ignore_index=0, label_smoothing=0.3, reduction=r),
           [x], r)
    record(f'ce_spatial_{r}', lambda a: F.cross_entropy(a, ts, weight=w3, reduction=r), [xs], r)
    record(f'ce_spatial_ls_{r}', lambda a: F.cross_entropy(a, ts, label_smoothing=0.1, reduction=r), [xs], r)
    record(f'ce_1d_{r}', lambda a: F.cross_entropy(a, torch.tensor(2), reduction=r), [t(X[:4], (4,))], r)
    record(f'ce_prob_{r}', lambda a, b: F.cross_entropy(a, b, reduction=r), [x, p], r)
    record(f'ce_prob_w_ls_{r}', lambda a, b: F.cross_entropy(a, b, weight=w4, label_smoothing=0.2, reduction=r),
           [x, p], r)
    ps = torch.softmax(xs.flip(0) * 0.7, dim=1)
    record(f'ce_prob_spatial_{r}', lambda a, b: F.cross_entropy(a, b, weight=w3, reduction=r), [xs, ps], r)
    record(f'nll_{r}', lambda a: F.nll_loss(a, t3, reduction=r), [x], r)
    record(f'nll_w_{r}', lambda a: F.nll_loss(a, t3, weight=w4, reduction=r), [x], r)
    record(f'nll_w_ign_{r}', lambda a: F.nll_loss(a, t3_ign, weight=w4, ignore_index=0, reduction=r), [x], r)
    record(f'nll_spatial_{r}', lambda a: F.nll_loss(a, ts, weight=w3, reduction=r), [xs], r)


def vec(v):
    return '{' + ', '.join(repr(float(e)) for e in v) + '}'


print('// BEGIN REFERENCE (generated by tests/reference/loss.py)')
print('const std::map<std::string, Ref> kRef = {')
for name, out, grads in cases:
    g0 = grads[0]
    g1 = grads[1] if len(grads) > 1 else []
    print(f'    {{"{name}", {{{vec(out)}, {vec(g0)}, {vec(g1)}}}}},')
print('};')
print('// END REFERENCE')
