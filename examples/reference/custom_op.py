# A user-defined differentiable operator: the chapter's corr2d as one autograd node, and SiLU,
# both verified with gradcheck.
import torch
from torch.autograd import gradcheck


class Corr2d(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X, K):
        ctx.save_for_backward(X, K)
        h, w = K.shape
        Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype)
        for i in range(Y.shape[0]):
            for j in range(Y.shape[1]):
                Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
        return Y

    @staticmethod
    def backward(ctx, grad):
        X, K = ctx.saved_tensors
        h, w = K.shape
        oh, ow = grad.shape
        gX = gK = None
        if ctx.needs_input_grad[0]:
            gX = torch.zeros_like(X)
            for a in range(h):
                for b in range(w):
                    gX[a:a + oh, b:b + ow] += grad * K[a, b]
        if ctx.needs_input_grad[1]:
            gK = torch.zeros_like(K)
            for a in range(h):
                for b in range(w):
                    gK[a, b] = (X[a:a + oh, b:b + ow] * grad).sum()
        return gX, gK


class SiLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        s = torch.sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, grad):
        x, s = ctx.saved_tensors
        return grad * s * (1 + x * (1 - s))


X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]], requires_grad=True)
K = torch.tensor([[0.0, 1.0], [2.0, 3.0]], requires_grad=True)
Y = Corr2d.apply(X, K)
print(Y)
Y.sum().backward()
print(X.grad)
print(K.grad)

torch.manual_seed(0)
Xd = torch.rand((5, 6), dtype=torch.float64, requires_grad=True)
Kd = torch.rand((2, 3), dtype=torch.float64, requires_grad=True)
print('gradcheck Corr2d:', gradcheck(Corr2d.apply, (Xd, Kd)))

x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0], requires_grad=True)
y = SiLU.apply(x)
print(y)
y.sum().backward()
print(x.grad)
xd = torch.randn((4, 3), dtype=torch.float64, requires_grad=True)
print('gradcheck SiLU:', gradcheck(SiLU.apply, (xd,)))
