"""Reference values for the numerics and double-backward tests of tests/ops/loss.cpp.

Run: /usr/bin/python3 tests/reference/loss_numerics.py > /tmp/loss_numerics.inc
and paste the printed block into tests/ops/loss.cpp between the NUMERICS REFERENCE markers.

Three parts:
  * BCE with logits in the tails (z up to +-80): per-element loss and d loss / d z. PyTorch 1.13
    itself is not exact there (its loss cancels to 0 for z << 0 and its float64 gradient
    sigmoid(z) - 1 rounds to 0 for z >> 0, y = 1), so the values are computed with mpmath at 50
    digits; the script checks that PyTorch float64 agrees wherever its formula does not cancel.
  * cross_entropy on dyadic logits (exact after shifting by 1e4 in float32, 1e4 and 1e8 in
    float64): loss and gradient, PyTorch float64; the script checks PyTorch's own shift
    invariance.
  * Second derivatives: for each loss, g = grad(loss, x, create_graph=True), then
    grad((g * V).sum(), [x, target]) (a Hessian-vector product and the mixed term), PyTorch
    float64.
"""
import mpmath
import torch
import torch.nn.functional as F

mpmath.mp.dps = 50
D = torch.float64

# ---- BCE with logits tails -------------------------------------------------------------------
Z = [-80.0, -40.0, -17.0, -15.0, -5.0, -0.5, 0.0, 0.5, 5.0, 15.0, 17.0, 40.0, 80.0]
BCE_Y = [0.0, 1.0, 0.25]
BCE_W = 0.5  # weight
BCE_PW = 3.0  # pos_weight


def bce_exact(z, y, w, pw):
    """-w [pw y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))] and its z-derivative, 50 digits."""
    z, y, w, pw = (mpmath.mpf(v) for v in (z, y, w, pw))
    s = 1 / (1 + mpmath.exp(-z))
    sn = 1 / (1 + mpmath.exp(z))  # 1 - s, without cancellation
    loss = -w * (pw * y * mpmath.log(s) + (1 - y) * mpmath.log(sn))
    grad = w * ((1 - y) * s - pw * y * sn)
    return float(loss), float(grad)


bce_cases = []
for y in BCE_Y:
    for w, pw in [(1.0, 1.0), (BCE_W, BCE_PW)]:
        losses, grads = [], []
        for z in Z:
            l, g = bce_exact(z, y, w, pw)
            losses.append(l)
            grads.append(g)
        # PyTorch float64 where its formula is accurate (|z| <= 5): relative 1e-12.
        zt = torch.tensor(Z, dtype=D, requires_grad=True)
        yt = torch.full_like(zt, y)
        kw = {}
        if pw != 1.0 or w != 1.0:
            kw = dict(weight=torch.tensor([w], dtype=D), pos_weight=torch.tensor([pw], dtype=D))
        out = F.binary_cross_entropy_with_logits(zt, yt, reduction='none', **kw)
        out.sum().backward()
        for i, z in enumerate(Z):
            if abs(z) <= 5:
                assert abs(out[i].item() - losses[i]) <= 1e-12 * abs(losses[i]) + 1e-300, (z, y, out[i], losses[i])
                assert abs(zt.grad[i].item() - grads[i]) <= 1e-12 * abs(grads[i]) + 1e-300, (z, y, zt.grad[i], grads[i])
        bce_cases.append((f'y{y}_w{w}_pw{pw}', losses, grads))

# ---- cross_entropy shift invariance ----------------------------------------------------------
# Multiples of 1/8 with |x| < 4: exact in float32 after adding +-1e4, and in float64 after
# adding +-1e8.
CE_X = [0.25, -1.5, 2.125, 0.0, 3.5, -0.75, 1.0, -2.25, -3.0, 0.5, 0.375, 1.25]
CE_T = [2, 0, 3]
CE_W = [0.5, 1.0, 2.0, 1.5]
ce_cases = []
x = torch.tensor(CE_X, dtype=D).reshape(3, 4)
t = torch.tensor(CE_T)
w = torch.tensor(CE_W, dtype=D)
for name, kw in [('plain', {}), ('w_ls', dict(weight=w, label_smoothing=0.2))]:
    ref = None
    for shift in [0.0, 1e4, -1e4, 1e8, -1e8]:
        xs = (x + shift).detach().requires_grad_(True)
        assert torch.equal(xs.detach() - shift, x)  # exact shift
        loss = F.cross_entropy(xs, t, **kw)
        loss.backward()
        if ref is None:
            ref = (loss.item(), xs.grad.flatten().tolist())
            ce_cases.append((name, [ref[0]], ref[1]))
        else:
            assert abs(loss.item() - ref[0]) < 1e-12, (name, shift, loss.item(), ref[0])
            assert max(abs(a - b) for a, b in zip(xs.grad.flatten().tolist(), ref[1])) < 1e-12
# The brief's example: two equal logits of 1e8 (float32), target 1.
x2 = torch.tensor([[1e8, 1e8]], dtype=torch.float32, requires_grad=True)
l2 = F.cross_entropy(x2, torch.tensor([1]))
l2.backward()
ce_cases.append(('two_1e8_f32', [l2.item()], x2.grad.flatten().tolist()))

# ---- second derivatives ----------------------------------------------------------------------
X = [0.3, -1.2, 2.5, 0.0, -0.7, 1.1, -2.4, 0.9, 1.6, -0.2, 0.45, -3.1]
Y = [0.1, -0.4, 0.8, 1.3, -0.7, 2.9, -1.0, 0.2, 0.9, 0.6, -0.15, -2.0]
P = [0.0, 1.0, 0.25, 0.9, 0.5, 0.1, 1.0, 0.0, 0.75, 0.3, 0.6, 0.05]
V = [0.5, -1.0, 0.25, 2.0, -0.75, 1.5, 0.1, -0.3, 1.2, 0.8, -2.0, 0.6]  # direction for g
G = [1.0, -0.5, 2.0, 0.25, 0.75, -1.5, 0.1, 3.0, -2.0, 0.6, 1.2, -0.3]  # upstream for 'none'
W4 = [0.5, 1.0, 2.0, 1.5]
PW4 = [2.0, 0.5, 1.0, 3.0]
T3 = [1, 0, 3]


def tt(v, shape=(3, 4)):
    return torch.tensor(v, dtype=D).reshape(shape)


second = []


def record2(name, fn, target=None):
    """fn(x, target) -> loss tensor; 'none' losses are weighted by G and summed."""
    xs = tt(X).requires_grad_(True)
    ts = target.detach().clone().requires_grad_(True) if target is not None and target.is_floating_point() else target
    out = fn(xs, ts)
    if out.dim() > 0:
        out = (out * tt(G[: out.numel()], out.shape)).sum()
    (g,) = torch.autograd.grad(out, xs, create_graph=True)
    wrt = [xs] + ([ts] if ts is not None and ts.is_floating_point() else [])
    hs = torch.autograd.grad((g * tt(V)).sum(), wrt, allow_unused=True)
    # (h + 0): PyTorch may hand back an unmaterialised (expanded zero) tensor for l1.
    hs = [(torch.zeros(12, dtype=D) + h.flatten()).tolist() if h is not None else [0.0] * 12 for h in hs]
    second.append((name, g.detach().flatten().tolist(), hs[0], hs[1] if len(hs) > 1 else []))


x = tt(X); y = tt(Y); p = tt(P); w4 = torch.tensor(W4, dtype=D); pw4 = torch.tensor(PW4, dtype=D)
t3 = torch.tensor(T3)
for r in ['mean', 'sum', 'none']:
    record2(f'mse_{r}', lambda a, b: F.mse_loss(a, b, reduction=r), y)
    record2(f'smooth_l1_{r}', lambda a, b: F.smooth_l1_loss(a, b, reduction=r, beta=0.7), y)
    record2(f'huber_{r}', lambda a, b: F.huber_loss(a, b, reduction=r, delta=0.6), y)
    record2(f'l1_{r}', lambda a, b: F.l1_loss(a, b, reduction=r), y)
    record2(f'bce_{r}', lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=r), p)
    record2(f'bce_w_pw_{r}',
            lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=w4, pos_weight=pw4, reduction=r), p)
    record2(f'ce_{r}', lambda a, b: F.cross_entropy(a, b, reduction=r), t3)
    record2(f'ce_w_ls_{r}', lambda a, b: F.cross_entropy(a, b, weight=w4, label_smoothing=0.2, reduction=r), t3)
    record2(f'ce_prob_{r}', lambda a, b: F.cross_entropy(a, b, weight=w4, reduction=r), p)
    record2(f'nll_logsm_{r}', lambda a, b: F.nll_loss(F.log_softmax(a, 1), b, weight=w4, reduction=r), t3)
# The brief's example: mse_loss(a * a, zeros), a = [1, 2, 3]; d/da sum(d mse/da) = [4, 16, 36].
a = torch.tensor([1.0, 2.0, 3.0], dtype=D, requires_grad=True)
(ga,) = torch.autograd.grad(F.mse_loss(a * a, torch.zeros(3, dtype=D)), a, create_graph=True)
(gga,) = torch.autograd.grad(ga.sum(), a)
MSE_SQUARE = gga.tolist()


def vec(v):
    return '{' + ', '.join(repr(float(e)) for e in v) + '}'


print('// BEGIN NUMERICS REFERENCE (generated by tests/reference/loss_numerics.py)')
print(f'const std::vector<double> kBceZ = {vec(Z)};')
print('// name -> {loss per z, d loss / dz per z}, exact (mpmath); y, weight, pos_weight in the name.')
print('const std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> kBceTails = {')
for name, l, g in bce_cases:
    print(f'    {{"{name}", {{{vec(l)}, {vec(g)}}}}},')
print('};')
print('// name -> {loss, grad}: cross_entropy of kCeX (mean), PyTorch float64 (float32 for two_1e8).')
print('const std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> kCeShift = {')
for name, l, g in ce_cases:
    print(f'    {{"{name}", {{{vec(l)}, {vec(g)}}}}},')
print('};')
print('// name -> {g = dL/dx, d(g . V)/dx, d(g . V)/dtarget}, PyTorch float64.')
print('const std::map<std::string, Ref> kSecond = {')
for name, g, hx, ht in second:
    print(f'    {{"{name}", {{{vec(g)}, {vec(hx)}, {vec(ht)}}}}},')
print('};')
print(f'const std::vector<double> kMseSquare = {vec(MSE_SQUARE)};')
print('// END NUMERICS REFERENCE')
