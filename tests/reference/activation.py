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
