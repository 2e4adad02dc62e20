"""Reference values for tests/ops/linear.cpp (PyTorch 1.13, float64).

Run: /usr/bin/python3 tests/reference/linear.py and paste the printed vectors into the test.
"""
import torch
import torch.nn.functional as F

D = torch.float64
X = torch.tensor([0.5, -1.0, 2.0, 1.5, 0.25, -0.75], dtype=D).reshape(2, 3)
W = torch.tensor([0.1, 0.2, -0.3, 0.4, -0.5, 0.6, 0.7, 0.8, -0.9, -1.0, 1.1, 1.2], dtype=D).reshape(4, 3)
B = torch.tensor([0.01, -0.02, 0.03, -0.04], dtype=D)
G = torch.tensor([1.0, -2.0, 0.5, 3.0, -1.0, 0.25, 2.0, -0.5], dtype=D).reshape(2, 4)


def vec(t):
    return '{' + ', '.join(repr(float(e)) for e in t.flatten().tolist()) + '}'


def run(name, x, w, b, g):
    x = x.clone().requires_grad_(True)
    w = w.clone().requires_grad_(True)
    b = b.clone().requires_grad_(True) if b is not None else None
    y = F.linear(x, w, b)
    y.backward(g.reshape(y.shape))
    print(f'// {name}: grad_fn {type(y.grad_fn).__name__}')
    print(f'const std::vector<double> {name}_y = {vec(y)};')
    print(f'const std::vector<double> {name}_gx = {vec(x.grad)};')
    print(f'const std::vector<double> {name}_gw = {vec(w.grad)};')
    if b is not None:
        print(f'const std::vector<double> {name}_gb = {vec(b.grad)};')


run('lin2d', X, W, B, G)
run('lin2d_nobias', X, W, None, G)
run('lin3d', X.reshape(1, 2, 3), W, B, G)
run('lin1d', X[0], W, B, G[0])

A = torch.tensor([-1.5, -0.1, 0.0, 0.3, 2.0, 7.0], dtype=D).reshape(2, 3)
print('const std::vector<double> act_relu =', vec(F.relu(A)) + ';')
print('const std::vector<double> act_sigmoid =', vec(torch.sigmoid(A)) + ';')
print('const std::vector<double> act_tanh =', vec(torch.tanh(A)) + ';')
print('const std::vector<double> act_softmax1 =', vec(F.softmax(A, 1)) + ';')
print('const std::vector<double> act_softmax0 =', vec(F.softmax(A, 0)) + ';')
print('const std::vector<double> act_log_softmax1 =', vec(F.log_softmax(A, 1)) + ';')
