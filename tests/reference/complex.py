# Reference values for tests/core/dtypes.cpp's complex cases: PyTorch 1.13's results for
# creation, conversion, comparison and printing of complex64/complex128 tensors.
# Run: /usr/bin/python3 tests/reference/complex.py
import torch

def show(name, t):
    print(f"{name}: {t!r}")

show("literal_c64", torch.tensor(complex(1.5, 0.15), dtype=torch.complex64))
show("vector_c128", torch.tensor([1.5 + 0.15j, 1.5 + 0.15j, 3.125 + 0.3125j], dtype=torch.complex128))
show("real_to_c128", torch.tensor([1.5, 2.5, 3.5], dtype=torch.complex128))
show("neg_imag", torch.tensor([[1 - 2j, -0.5 + 0j], [0 + 1e-5j, 1000 + 3j]], dtype=torch.complex64))
show("ints", torch.tensor([1 + 2j, 3 - 4j], dtype=torch.complex64))
show("zeros", torch.zeros(2, dtype=torch.complex64))
show("ones_c128", torch.ones(2, dtype=torch.complex128))
show("empty", torch.empty(0, dtype=torch.complex64))
for a, b in [(torch.complex64, torch.float64), (torch.complex64, torch.float32), (torch.complex64, torch.int64),
             (torch.complex128, torch.float32), (torch.complex64, torch.complex128), (torch.bool, torch.complex64)]:
    print("promote", a, b, torch.promote_types(a, b))
# (PyTorch converts complex to real by keeping the real part, with a warning; xgrad refuses it.)
x = torch.tensor([1 + 1j, 2 - 1j], dtype=torch.complex64)
print("allclose_tol:", torch.allclose(x, x + 1e-9j), torch.allclose(x, x + 1e-3j), torch.allclose(x, torch.tensor([1 + 1j, 2 + 1j])))
print("promote_add:", (torch.tensor([1 + 1j], dtype=torch.complex64) * 1).dtype)
print("equal:", torch.equal(x, x.clone()), torch.equal(x, x.conj()))
print("item:", torch.tensor(1.5 + 2j, dtype=torch.complex128).item())
