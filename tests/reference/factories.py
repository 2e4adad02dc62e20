"""Reference values for tests/core/factories.cpp (run with /usr/bin/python3, PyTorch 1.13)."""
import torch


def show(expr):
    t = eval(expr)
    vals = t.reshape(-1).tolist()
    print(f"{expr}: dtype={t.dtype} shape={list(t.shape)} values={[repr(v) for v in vals]}")


for e in [
    "torch.arange(5)",
    "torch.arange(5.)",
    "torch.arange(1, 4)",
    "torch.arange(0, 1, 0.1)",
    "torch.arange(1, 2.5, 0.5)",
    "torch.arange(10, 0, -3)",
    "torch.arange(0, 1, 0.3, dtype=torch.float64)",
    "torch.arange(-2.5, 2.5)",
    "torch.arange(0, 10, 3, dtype=torch.float32)",
    "torch.arange(0)",
    "torch.arange(-3.5, 20.2, 0.7)",
    "torch.arange(-1.1, 2.0, 0.3, dtype=torch.float64)",
    "torch.linspace(0, 1, 5)",
    "torch.linspace(-1, 1, 7)",
    "torch.linspace(0, 10, 4)",
    "torch.linspace(3, 3, 1)",
    "torch.linspace(0, 1, 0)",
    "torch.linspace(0, 1, 10, dtype=torch.float64)",
    "torch.linspace(0, 10, 5, dtype=torch.int64)",
    "torch.eye(3)",
    "torch.eye(2, 3)",
    "torch.eye(3, 2, dtype=torch.int64)",
    "torch.full((2, 2), 2.5)",
    "torch.full((2,), 7.9, dtype=torch.int64)",
    "torch.full((2,), -7.9, dtype=torch.int64)",
    "torch.tensor([[1., 2.], [3., 4.]])",
    "torch.tensor([1, 2])",
    "torch.tensor([True, False])",
    "torch.tensor([True, 2])",
    "torch.tensor([1, 2.5])",
    "torch.tensor([])",
    "torch.tensor([[], []])",
    "torch.tensor(3.)",
    "torch.tensor([1.5, -2.7], dtype=torch.int64)",
    "torch.tensor([0.0, 0.5, -1.0], dtype=torch.bool)",
]:
    show(e)

for bad in ["torch.tensor([[1, 2], [3]])", "torch.tensor([[1, 2], 3])", "torch.tensor([[[1], [2]], [[3], [4, 5]]])",
            "torch.arange(0, 1, 0)", "torch.arange(1, 0, 1)", "torch.linspace(0, 1, -1)", "torch.eye(-1)",
            "torch.full((2,), float('nan'), dtype=torch.int64)"]:
    try:
        eval(bad)
        print(bad, "-> no error")
    except Exception as ex:
        print(bad, "->", type(ex).__name__, ex)
