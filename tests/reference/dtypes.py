"""Reference values for tests/core/dtypes.cpp (PyTorch 1.13): run with /usr/bin/python3.

Prints the promotion table over xgrad's eight storage dtypes and the values the C++ tests
assert, each line labelled with the test that uses it.
"""
import warnings

import torch

DT = [torch.float32, torch.float64, torch.int64, torch.bool, torch.int32, torch.uint8, torch.int8, torch.int16]
NAME = {torch.float32: "kFloat32", torch.float64: "kFloat64", torch.int64: "kInt64", torch.bool: "kBool",
        torch.int32: "kInt32", torch.uint8: "kUInt8", torch.int8: "kInt8", torch.int16: "kInt16"}

print("// promote_types table (row a, column b), order:", ", ".join(NAME[d] for d in DT))
for a in DT:
    print("{" + ", ".join(NAME[torch.promote_types(a, b)] for b in DT) + "},")


def show(label, t):
    print(f"{label}: dtype={t.dtype} values={t.flatten().tolist()}")


i32 = torch.tensor([1, 2, 7], dtype=torch.int32)
u8 = torch.tensor([1, 200], dtype=torch.uint8)
i8 = torch.tensor([1, 2], dtype=torch.int8)
show("int32*2", i32 * 2)
show("int32*2.5", i32 * 2.5)
show("int32/int32", i32 / torch.tensor([2, 4, 2], dtype=torch.int32))
show("int32+int64", i32 + torch.tensor([10, 20, 30]))
show("uint8+int8", u8 + torch.tensor([-1, -100], dtype=torch.int8))
show("int32+float32", i32 + torch.tensor([0.5, 0.5, 0.5]))
show("int32+float64 0-dim", i32 + torch.tensor(0.25, dtype=torch.float64))
show("int8+int64 0-dim 1000", i8 + torch.tensor(1000))
show("int32 max + 1", torch.tensor([2147483647], dtype=torch.int32) + 1)
show("uint8*2", u8 * 2)
show("uint8-2", u8 - 2)
show("-uint8", -u8)
show("uint8+300", u8 + 300)
show("int16*int16 wrap", torch.tensor([300], dtype=torch.int16) * torch.tensor([300], dtype=torch.int16))
show("float->int32", torch.tensor([3.7, -3.7, 0.5, -0.5, 2147483647.0], dtype=torch.float64).to(torch.int32))
show("int64->uint8", torch.tensor([300, -1, 255]).to(torch.uint8))
show("int64->int8", torch.tensor([200, -129]).to(torch.int8))
show("uint8->float", u8.to(torch.float32))
show("bool->int32", torch.tensor([True, False]).to(torch.int32))
show("uint8 sum", torch.tensor([200, 200, 100], dtype=torch.uint8).sum())
show("int8 sum", torch.tensor([-100, -100, -100], dtype=torch.int8).sum())
show("int32 sum dim0", torch.tensor([[1, 2], [3, 4]], dtype=torch.int32).sum(0))
show("int16 cumsum", torch.tensor([30000, 30000], dtype=torch.int16).cumsum(0))
show("uint8 max", torch.tensor([3, 250, 7], dtype=torch.uint8).max())
show("int8 min", torch.tensor([3, -128, 7], dtype=torch.int8).min())
show("int8 abs", torch.tensor([-3, -128, 7], dtype=torch.int8).abs())
show("int32 neg", -torch.tensor([-3, 0, 7], dtype=torch.int32))
show("int8 sign", torch.tensor([-3, 0, 7], dtype=torch.int8).sign())
show("uint8 sign", torch.tensor([0, 9], dtype=torch.uint8).sign())
show("float sign", torch.tensor([float("nan"), -2.0, 0.0, 3.0]).sign())
show("int32 exp", torch.tensor([0, 1], dtype=torch.int32).exp())
show("int32 == float", torch.tensor([1, 2], dtype=torch.int32) == torch.tensor([1.0, 3.0]))
show("uint8 < 100", torch.tensor([50, 200], dtype=torch.uint8) < 100)
show("int16 pow 2", torch.tensor([3, 300], dtype=torch.int16).pow(2))
x = torch.tensor([10, 20, 30])
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    show("uint8 mask index", x[torch.tensor([1, 0, 1], dtype=torch.uint8)])
    print("warning:", str(w[0].message))
try:
    x[torch.tensor([2, 0], dtype=torch.int32)]
except IndexError as e:
    print("int32 index (1.13 refuses; PyTorch 2 and xgrad give [30, 10]):", e)
y = torch.tensor([1.0, 2.0, 3.0])
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    y[torch.tensor([0, 1, 1], dtype=torch.uint8)] = 0
show("index_put_ uint8 mask", y)
for f in ["torch.full((2,), 300, dtype=torch.uint8)", "torch.tensor([5], dtype=torch.int8).clamp(-1000, 1000)",
          "torch.tensor([1], dtype=torch.int32).requires_grad_()", "torch.set_default_dtype(torch.int32)"]:
    try:
        eval(f)
    except Exception as e:  # noqa: BLE001
        print(f, "->", type(e).__name__, e)
print("str:", str(torch.tensor([1, 2], dtype=torch.int32)), "|", str(torch.tensor([], dtype=torch.uint8)),
      "|", str(torch.tensor([-1, 5], dtype=torch.int8)))
torch.set_default_dtype(torch.float64)
show("default float64: tensor([1.5])", torch.tensor([1.5]))
show("default float64: int/int", torch.tensor([1]) / torch.tensor([4]))
show("default float64: int*0.5", torch.tensor([1]) * 0.5)
print("default float64: zeros", torch.zeros(2).dtype, "arange(0.,1.,.5)", torch.arange(0.0, 1.0, 0.5).dtype,
      "arange(3)", torch.arange(3).dtype, "rand", torch.rand(2).dtype, "str", str(torch.tensor([1.5])),
      str(torch.tensor([1.5], dtype=torch.float32)))
torch.set_default_dtype(torch.float32)
# arange with an integer dtype and non-integral arguments (tests/core/dtypes.cpp,
# arange_with_integer_dtype_truncates_as_pytorch).
for dt in (torch.int64, torch.int32, torch.uint8):
    for args in ((0, 5, 1.5), (0.7, 5.2, 1.0), (0, 7, 2.5), (1.9, 9, 2.9), (0, 5, 0.5)):
        try:
            print("arange", args, dt, torch.arange(*args, dtype=dt).tolist())
        except Exception as e:  # noqa: BLE001
            print("arange", args, dt, "->", type(e).__name__, e)
