"""Reference strings and values for the nn::Module API tests (PyTorch 1.13):
containers (tests/nn/module.cpp), summary shapes (tests/nn/summary.cpp) and nn.utils
(tests/nn/utils.cpp).

Run: /usr/bin/python3 tests/reference/module_api.py; the printed values are pasted into those
tests.
"""
import math
import torch
from torch import nn


def section(name):
    print(f'--- {name}')


# ---- containers: repr and state_dict keys ----------------------------------------------------
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 3), nn.ReLU()])
        self.layers.insert(1, nn.Linear(3, 3, bias=False))
        self.layers.extend([nn.Identity()])
        self.blocks = nn.ModuleDict({'a': nn.Linear(3, 2), 'b': nn.Conv2d(1, 1, 1)})
        self.blocks.update([('c', nn.Sigmoid())])
        self.register_buffer('count', torch.zeros(1))


m = Model()
section('model repr')
print(repr(m))
section('state_dict keys')
print(list(m.state_dict().keys()))
section('named_modules')
print([n for n, _ in m.named_modules()])
section('named_buffers')
print([n for n, _ in m.named_buffers()])
section('dict keys after pop/replace')
d = nn.ModuleDict({'a': nn.Linear(1, 1), 'b': nn.ReLU(), 'c': nn.Tanh()})
d['a'] = nn.Linear(2, 2)   # replaces in place, keeps the position
d.pop('b')
d['z'] = nn.Identity()
print(list(d.keys()), [n for n, _ in d.named_parameters()])
print(repr(d))
d.clear()
print(len(d), repr(d), len(list(d.parameters())))
section('children of a module registered twice')
shared = nn.Linear(2, 2)
s = nn.Module()
s.a = shared
s.b = shared
print(len(list(s.children())), [n for n, _ in s.named_children()], [n for n, _ in s.named_modules()])
section('identity')
print(repr(nn.Identity()))
section('empty containers')
print(repr(nn.ModuleList()), repr(nn.ModuleDict()), repr(nn.Sequential()))

# ---- summary: the book's LeNet -------------------------------------------------------------------
section('lenet shapes')
lenet = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.Sigmoid(),
    nn.Linear(84, 10))
X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
for name, layer in lenet.named_children():
    X = layer(X)
    print(name, layer.__class__.__name__, 'output shape: \t', list(X.shape),
          sum(p.numel() for p in layer.parameters()))
print('total', sum(p.numel() for p in lenet.parameters()))

# ---- hooks: order and replacement ----------------------------------------------------------------
section('hooks')
lin = nn.Linear(2, 2)
with torch.no_grad():
    lin.weight.copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    lin.bias.copy_(torch.tensor([0.5, -0.5]))
log = []
h1 = lin.register_forward_pre_hook(lambda mod, inp: (log.append('pre1'), inp[0] * 2)[1])
h2 = lin.register_forward_pre_hook(lambda mod, inp: (log.append('pre2'), None)[1])
h3 = lin.register_forward_hook(lambda mod, inp, out: (log.append('fwd1'), out + 1)[1])
h4 = lin.register_forward_hook(lambda mod, inp, out: (log.append('fwd2'), out * 10)[1])
x = torch.tensor([[1.0, -1.0]])
print(lin(x).tolist(), log)
print(lin.forward(x).tolist())
h1.remove(); h1.remove(); h4.remove()
print(lin(x).tolist())

# ---- nn.utils ------------------------------------------------------------------------------------
section('clip_grad')


def make_params():
    p1 = torch.zeros(2, 3, requires_grad=True)
    p1.grad = torch.tensor([[0.5, -1.25, 2.0], [3.0, -0.75, 0.1]])
    p2 = torch.zeros(4, requires_grad=True)
    p2.grad = torch.tensor([1.5, -2.5, 0.3, 0.0])
    p3 = torch.zeros(3, requires_grad=True)  # no gradient: skipped
    return [p1, p2, p3]


def show(ps):
    return [p.grad.tolist() for p in ps if p.grad is not None]


for max_norm, norm_type in [(1.0, 2.0), (2.0, 1.0), (1.5, math.inf), (0.5, 3.0), (100.0, 2.0), (4.0, 2.0)]:
    ps = make_params()
    total = nn.utils.clip_grad_norm_(ps, max_norm, norm_type)
    print(max_norm, norm_type, repr(total.item()), show(ps))
ps = make_params()
total = nn.utils.clip_grad_norm_(ps[0], 1.0)
print('single', repr(total.item()), show(ps[:1]))
ps = make_params()
ps[1].grad[0] = float('inf')
try:
    nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
except RuntimeError as e:
    print('error', e)
total = nn.utils.clip_grad_norm_(ps, 1.0)
print('nonfinite', total.item(), show(ps))
ps = make_params()
nn.utils.clip_grad_value_(ps, 0.8)
print('value', show(ps))
ps = make_params()
print('empty', nn.utils.clip_grad_norm_([ps[2]], 1.0).item())

section('parameters_to_vector')
a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
b = torch.tensor([5.0, 6.0, 7.0])
print(nn.utils.parameters_to_vector([a, b]).tolist())
nn.utils.vector_to_parameters(torch.arange(7.0), [a, b])
print(a.tolist(), b.tolist())
