# The chapter's from-scratch helpers (d2l's corr2d), shared by the reference scripts.
import torch


def corr2d(X, K):
    """2-D cross-correlation."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
