# Reference values for tests/ops/activation.cpp (run with /usr/bin/python3, PyTorch 1.13).
import torch

def show(name, t):
    vals = ", ".join(f"{v:.9g}" for v in t.detach().reshape(-1).double().tolist())
    print(f"// {name}: sizes {list(t.shape)} dtype {t.dtype}\n{{{vals}}}")

X = torch.tensor([-2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 2.2, 3.7])
show("relu(X)", X.relu())
show("sigmoid(X)", X.sigmoid())
show("tanh(X)", X.tanh())
L = torch.tensor([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.0, 1.0, 100.0], [0.5, 0.5, 0.5, 0.5]])
show("softmax(L, 1)", L.softmax(1))
show("softmax(L, 0)", L.softmax(0))
show("log_softmax(L, -1)", L.log_softmax(-1))
show("log_softmax(L, 0)", L.log_softmax(0))
big = torch.tensor([1000.0, 1001.0, 1002.0])
show("softmax(big)", big.softmax(0))
show("log_softmax(big)", big.log_softmax(0))
x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
x.relu().sum().backward()
show("relu grad at 0", x.grad)

# Stable numerics (tests/ops/activation.cpp, suite numerics), float64, 17 digits. S holds
# multiples of 1/8, exact after shifting by 1e4 in float32 and by 1e8 in float64.
def show17(name, t):
    vals = ", ".join(repr(v) for v in t.detach().reshape(-1).double().tolist())
    print(f"// {name}: sizes {list(t.shape)} dtype {t.dtype}\n{{{vals}}}")

D = torch.float64
S = torch.tensor([[0.25, -1.5, 2.125, 0.0], [3.5, -0.75, 1.0, -2.25]], dtype=D)
U = torch.tensor([[1.0, -0.5, 2.0, 0.25], [0.75, -1.5, 0.1, 3.0]], dtype=D)
for name, f in [("log_softmax", lambda a: a.log_softmax(1)), ("softmax", lambda a: a.softmax(1))]:
    s = S.clone().requires_grad_()
    out = f(s)
    (out * U).sum().backward()
    show17(f"{name}(S, 1)", out)
    show17(f"{name}(S, 1) grad for upstream U", s.grad)
# log_softmax backward in float32 must take softmax from the logits, not exp of the rounded
# output (exp(-86.2 rounded to float32) is off by 3e-6 relative). Reference: the float32 inputs
# in float64.
T = torch.tensor([0.3, -85.9], dtype=torch.float32).to(D).requires_grad_()
(T.log_softmax(0) * torch.tensor([1.0, 0.0], dtype=D)).sum().backward()
show17("grad of log_softmax([0.3f, -85.9f])[0]", T.grad)
