# §1.3: a Conv2D layer built on corr2d, learning the edge kernel by hand-written gradient descent.
import torch
from torch import nn
from common import corr2d


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


torch.manual_seed(0)
X = torch.ones((6, 8))
X[:, 2:6] = 0
K = torch.tensor([[1.0, -1.0]])
Y = corr2d(X, K)

conv2d = Conv2D(kernel_size=(1, 2))
print(conv2d.weight.shape, conv2d.bias.shape)
print(conv2d(X).shape)
lr = 1e-2
for i in range(30):
    Y_hat = conv2d(X)
    l = (Y_hat - Y) ** 2
    conv2d.zero_grad()
    l.sum().backward()
    with torch.no_grad():
        conv2d.weight -= lr * conv2d.weight.grad
        conv2d.bias -= lr * conv2d.bias.grad
    if (i + 1) % 5 == 0:
        print(f'epoch {i+1}, loss {l.sum():.3f}')
print(conv2d.weight.data)
print(conv2d.bias.data)
