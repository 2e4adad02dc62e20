"""Golden strings for tests/core/print.cpp: PyTorch 1.13's repr of many tensors.

Run with /usr/bin/python3 (the interpreter that has torch). Prints the C++ table of cases that
tests/core/print.cpp contains between its `// BEGIN GENERATED` and `// END GENERATED` markers:

    /usr/bin/python3 tests/reference/print.py > /tmp/cases.inc

Each case is (name, flat values, sizes, dtype, requires_grad, expected repr); the C++ test
builds the same tensor with from_vector and compares to_string() with the expected text.
"""
import math

import torch

DT = {torch.float32: "kFloat32", torch.float64: "kFloat64", torch.int64: "kInt64", torch.bool: "kBool"}


def cxx_value(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if math.isnan(v):
        return "kNan"
    if math.isinf(v):
        return "kInf" if v > 0 else "-kInf"
    if v == 0 and math.copysign(1, v) < 0:
        return "-0.0"
    return repr(float(v))


cases = []


def case(name, t, requires_grad=False, gen=None):
    """gen=(scale, mod): big tensors are rebuilt in C++ as value(i) = i * scale (or i % mod == 0
    when mod is set) instead of listing every element; the check below makes sure that formula
    reproduces t exactly."""
    if requires_grad:
        t = t.detach().requires_grad_(True)
    if gen is not None:
        scale, mod = gen
        idx = torch.arange(t.numel(), dtype=torch.float64)
        rebuilt = (idx.remainder(mod) == 0) if mod else idx * scale
        assert torch.equal(rebuilt.to(t.dtype), t.detach().reshape(-1)), name
        values = None
    else:
        values = t.detach().reshape(-1).tolist() if t.numel() else []
    cases.append((name, values, gen, list(t.shape), DT[t.dtype], requires_grad, repr(t)))


f = torch.float32
d = torch.float64
i64 = torch.int64

# The chapter's outputs and basic dtypes.
case("chapter_corr2d", torch.tensor([[19.0, 25.0], [37.0, 43.0]]))
case("chapter_edge", torch.tensor([[0.0, 1.0, 0.0, 0.0, 0.0, -1.0, 0.0]] * 2))
case("chapter_kernel", torch.tensor([[1.0063, -0.9662]]))
case("chapter_pool_avg", torch.tensor([[2.0, 3.0], [5.0, 6.0]]))
case("int_1d", torch.tensor([1, 2]))
case("int_negative_widths", torch.tensor([-100, 5, 3, 12345]))
case("int_2d", torch.arange(12).reshape(3, 4))
case("bool_1d", torch.tensor([True, False]))
case("bool_all_true", torch.tensor([True, True]))
case("bool_2d", torch.tensor([[True, False, True], [False, False, True]]))
case("float64_1d", torch.tensor([1.0, 2.5], dtype=d))
case("float64_int_valued", torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=d))

# 0-d tensors.
case("scalar_float", torch.tensor(3.0))
case("scalar_frac", torch.tensor(2.5))
case("scalar_neg_zero", torch.tensor(-0.0))
case("scalar_zero", torch.tensor(0.0))
case("scalar_nan", torch.tensor(float("nan")))
case("scalar_inf", torch.tensor(float("-inf")))
case("scalar_small", torch.tensor(1e-5))
case("scalar_big", torch.tensor(1e10))
case("scalar_int", torch.tensor(5))
case("scalar_bool", torch.tensor(True))
case("scalar_double", torch.tensor(3.25, dtype=d))
case("scalar_requires_grad", torch.tensor(1.5), requires_grad=True)

# Fixed-point mode, precision 4, padding to the widest element.
case("fixed_simple", torch.tensor([1.5, 2.25]))
case("fixed_tenths", torch.tensor([0.1, 0.2, 0.3]))
case("fixed_mixed_sign", torch.tensor([-1.5, 20.125, 300.0625]))
case("fixed_rounding", torch.tensor([0.12345, 0.99999, 1.00005, 2.5e-3]))
case("fixed_negative_zero", torch.tensor([-0.0, 0.5]))
case("fixed_2d_padding", torch.tensor([[1.5, -22.75], [333.125, 4.0]]))
case("fixed_float64", torch.tensor([0.1, 1.0 / 3.0], dtype=d))

# Integer-valued floats.
case("int_mode_widths", torch.tensor([1.0, 100.0, -5.0]))
case("int_mode_zeros", torch.zeros(2, 3))
case("int_mode_neg_zero", torch.tensor([-0.0, 0.0]))
case("int_mode_ones_3d", torch.ones(2, 2, 2))
case("int_mode_large", torch.tensor([99999999.0, 1.0e7]))

# Scientific notation.
case("sci_ratio", torch.tensor([1.0, 10000.0]))
case("sci_small", torch.tensor([1e-5, 1.0]))
case("sci_tiny_only", torch.tensor([1e-5, 2e-5]))
case("sci_big", torch.tensor([1.5e9, 2.0]))
case("sci_over_1e8", torch.tensor([123456789.0]))
case("sci_negative", torch.tensor([-1e-5, 1.0, -300.0]))
case("sci_float64_huge", torch.tensor([1e100, 1.0, -1e-100], dtype=d))
case("sci_denormal", torch.tensor([1e-40, 1.0]))
case("sci_with_zero_nan_inf", torch.tensor([0.0, 1e-6, float("nan"), float("inf")]))
case("sci_2d", torch.tensor([[1e-3, 2.0], [3e4, -4.5]]))

# Boundaries of the mode choice.
case("ratio_exactly_1000", torch.tensor([1.0, 1000.0]))
case("ratio_just_over_1000", torch.tensor([1.0, 1001.0]))
case("ratio_fractional_1000", torch.tensor([0.5, 500.0]))
case("min_just_below_1e-4", torch.tensor([1e-4, 0.5]))
case("min_above_1e-4", torch.tensor([1.5e-4, 0.5]))
case("max_1e8_int", torch.tensor([1e8, 2e7]))
case("rounding_changes_width", torch.tensor([9.99995, 0.5]))
case("rounding_half_even", torch.tensor([0.00015, 0.00025, 1.0]))
case("negative_int_mode", torch.tensor([-1.0, -2.0]))
case("scalar_sci", torch.tensor(1e-5))
case("scalar_sci_double", torch.tensor(-123456789.0, dtype=d))
case("wide_fixed", torch.tensor([123.45678, -0.5, 9999.125]))
case("nan_with_big_ints", torch.tensor([1.0, float("nan"), 1000.0]))
case("inf_wider_than_values", torch.tensor([float("-inf"), 1.0, 2.0]))
case("bool_3d", torch.tensor([[[True], [False]], [[False], [True]]]))

# Non-finite values.
case("nan_only", torch.tensor([float("nan"), float("nan")]))
case("inf_only", torch.tensor([float("inf"), float("-inf")]))
case("nan_with_ints", torch.tensor([1.0, float("nan"), float("inf"), -2.0]))
case("nan_with_fracs", torch.tensor([0.5, float("nan"), float("-inf")]))
case("nonfinite_2d", torch.tensor([[float("-inf"), 1.25], [float("nan"), 0.0]]))

# Empty tensors.
case("empty_1d", torch.tensor([]))
case("empty_2d", torch.zeros(0, 3))
case("empty_3d", torch.zeros(2, 0, 4))
case("empty_int", torch.zeros(0, dtype=i64))
case("empty_bool", torch.zeros(0, dtype=torch.bool))
case("empty_double", torch.zeros(0, dtype=d))
case("empty_int_2d", torch.zeros(3, 0, dtype=i64))
case("empty_requires_grad", torch.zeros(0, 2), requires_grad=True)

# Line wrapping at 80 characters.
case("wrap_float_arange", torch.arange(30.0))
case("wrap_int_arange", torch.arange(50))
case("wrap_fractions", torch.arange(25.0) / 7)
case("wrap_2d_rows", (torch.arange(90.0) / 3).reshape(3, 30))
case("wrap_int_2d", torch.arange(80).reshape(2, 40))
case("wrap_bool", torch.arange(40) % 3 == 0)
case("wrap_sci", torch.arange(1.0, 21.0) * 1e-5)
case("wrap_3d", (torch.arange(60.0) * 1.5).reshape(2, 2, 15))

# Random-looking values.
torch.manual_seed(0)
case("randn_1d", torch.randn(7))
case("randn_2d", torch.randn(4, 5))
case("randn_3d", torch.randn(2, 3, 4))
case("randn_4d", torch.randn(1, 2, 3, 3))
case("rand_8x8", torch.rand(8, 8))
case("randn_scaled", torch.randn(6) * 1000)
case("randn_double", torch.randn(3, 2, dtype=d))
case("randint_2d", torch.randint(-1000, 1000, (3, 6)))

# Higher ranks (blank lines between blocks).
case("int_3d", torch.arange(24).reshape(2, 3, 4))
case("float_3d", torch.arange(24.0).reshape(2, 3, 4))
case("float_4d", torch.arange(16.0).reshape(1, 1, 4, 4))
case("float_5d", torch.arange(32.0).reshape(2, 2, 2, 2, 2))
case("singleton_dims", torch.tensor([[[2.5]]]))

# Summarisation (more than 1000 elements).
A = (1.0, 0)
case("summary_1d_float", torch.arange(1001.0), gen=A)
case("summary_1d_int", torch.arange(2000), gen=A)
case("summary_2d_int", torch.arange(2000).reshape(40, 50), gen=A)
case("summary_2d_float", torch.arange(1200.0).reshape(30, 40) / 8, gen=(0.125, 0))
case("summary_3d", torch.arange(1331.0).reshape(11, 11, 11), gen=A)
case("summary_4d", torch.arange(1296.0).reshape(6, 6, 6, 6) / 64, gen=(1 / 64, 0))
case("summary_short_rows", torch.arange(1005.0).reshape(201, 5), gen=A)
case("summary_long_rows", torch.arange(1010.0).reshape(2, 505), gen=A)
case("summary_sci", torch.arange(2000.0) * 2.0**-20, gen=(2.0**-20, 0))
case("summary_bool", torch.arange(1500) % 2 == 0, gen=(1.0, 2))
case("summary_double", torch.arange(1001.0, dtype=d), gen=A)
case("summary_requires_grad", torch.arange(1001.0) / 4, requires_grad=True, gen=(0.25, 0))

# Suffixes and their wrapping.
case("requires_grad_1d", torch.tensor([1.0, 2.0]), requires_grad=True)
case("requires_grad_2d", torch.tensor([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
case("requires_grad_double", torch.tensor([1.0, 2.0], dtype=d), requires_grad=True)
case("suffix_wraps", torch.arange(9.0) + 0.5, requires_grad=True)
case("suffix_wraps_double", torch.arange(8.0, dtype=d) + 0.25, requires_grad=True)
case("suffix_fits", torch.arange(6.0) + 0.5, requires_grad=True)
case("suffix_after_multiline", torch.arange(30.0), requires_grad=True)
case("suffix_double_2d_grad", torch.arange(6.0, dtype=d).reshape(2, 3) / 3, requires_grad=True)
case("suffix_double_wraps", torch.arange(10, dtype=d) + 0.125)

print("// Generated by tests/reference/print.py (PyTorch %s)." % torch.__version__)
print("const std::vector<PrintCase> kCases = {")
for name, values, gen, sizes, dtype, rg, text in cases:
    vals = "{" + ", ".join(cxx_value(v) for v in values) + "}" if values is not None else "{}"
    g = "{%r, %d}" % gen if gen is not None else "{}"
    sz = ", ".join(str(s) for s in sizes)
    print('    {"%s", %s, %s, {%s}, %s, %s,\n     R"__(%s)__"},' % (name, vals, g, sz, dtype, "true" if rg else "false", text))
print("};")

# Cases built with special calls in C++ (see the named test cases).
print("// cat(arange(6), full(1000, 12345.5), arange(6)): " + repr(torch.cat([torch.arange(6.0), torch.full((1000,), 12345.5), torch.arange(6.0)])))
print("// transposed view of arange(6).reshape(2, 3) as float:")
print("// " + repr(torch.arange(6.0).reshape(2, 3).t()).replace("\n", "\n// "))
print("// int64 extremes:")
print("// " + repr(torch.tensor([-(2**63), 2**63 - 1, 0])))
torch.set_printoptions(precision=2)
print("// precision=2: " + repr(torch.tensor([1.12345, -2.5, 3.0])))
torch.set_printoptions(profile="default", sci_mode=True)
print("// sci_mode=True: " + repr(torch.tensor([1.5, 2.0])))
print("// sci_mode=True, all zero: " + repr(torch.tensor([0.0, 0.0])))
torch.set_printoptions(profile="default", sci_mode=False)
print("// sci_mode=False: " + repr(torch.tensor([1e-5, 1.0])))
torch.set_printoptions(profile="default", threshold=5, edgeitems=2)
print("// threshold=5, edgeitems=2: " + repr(torch.arange(10)))
torch.set_printoptions(profile="default", linewidth=40)
print("// linewidth=40: " + repr(torch.arange(20.0)).replace("\n", "\n// "))
torch.set_printoptions(profile="default")
x = torch.tensor([1.0, 2.0], requires_grad=True)
print("// grad_fn: " + repr(x * 2))
print("// grad_fn sum: " + repr((x * 2).sum()))
print("// torch.Size: " + str(torch.zeros(2, 3).shape) + " / " + str(torch.tensor(1.0).shape))
