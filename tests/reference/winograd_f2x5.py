"""Checks the Winograd F(2, 5) transforms of src/kernels/conv_winograd_arch.cpp (points 0, 1, -1,
2, -2, infinity) and the F(2, 3) ones: the 1-D identity A^T [(G g) * (B^T d)] == the correlation
of d with g, exactly in rationals and in float64 on random data, and the 2-D nesting
A^T [(G g G^T) * (B^T d B)] A == the 2-D correlation. Also derives the matrices from the points.

Run: /usr/bin/python3 tests/reference/winograd_f2x5.py (prints the matrices, exits 1 on failure).
"""
from fractions import Fraction as F
import sys

import numpy as np


def poly_mul(a, b):
    out = [F(0)] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return out


def derive(m, r, points):
    """Toom-Cook matrices for F(m, r) on the finite points plus infinity (wincnn's construction)."""
    n = m + r - 1
    assert len(points) == n - 1
    at = [[F(p) ** i for p in points] + [F(1 if i == m - 1 else 0)] for i in range(m)]
    g = []
    for i, p in enumerate(points):
        f = F(1)
        for j, q in enumerate(points):
            if j != i:
                f *= F(p) - F(q)
        g.append([F(p) ** k / f for k in range(r)])
    g.append([F(1 if k == r - 1 else 0) for k in range(r)])
    bt = []
    for i in range(n - 1):
        c = [F(1)]
        for j, q in enumerate(points):
            if j != i:
                c = poly_mul(c, [-F(q), F(1)])
        bt.append(c + [F(0)] * (n - len(c)))
    c = [F(1)]
    for q in points:
        c = poly_mul(c, [-F(q), F(1)])
    bt.append(c)
    return at, g, bt


def matmul(a, b):
    return [[sum((a[i][k] * b[k][j] for k in range(len(b))), F(0)) for j in range(len(b[0]))] for i in range(len(a))]


def transpose(a):
    return [list(r) for r in zip(*a)]


# The matrices as written in conv_winograd_arch.cpp.
F25 = dict(
    at=[[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 1]],
    g=[[F(1, 4), 0, 0, 0, 0], [F(-1, 6)] * 5, [F(-1, 6), F(1, 6), F(-1, 6), F(1, 6), F(-1, 6)],
       [F(1, 24), F(1, 12), F(1, 6), F(1, 3), F(2, 3)], [F(1, 24), F(-1, 12), F(1, 6), F(-1, 3), F(2, 3)],
       [0, 0, 0, 0, 1]],
    bt=[[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0],
        [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
)
F23 = dict(
    at=[[1, 1, 1, 0], [0, 1, -1, -1]],
    g=[[1, 0, 0], [F(1, 2)] * 3, [F(1, 2), F(-1, 2), F(1, 2)], [0, 0, 1]],
    bt=[[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
)


def b6(d):
    """The B^T add/sub sequence of input_math (F(2, 5)), on a length-6 list."""
    d0, d1, d2, d3, d4, d5 = d
    d42, d31 = d4 - d2, d3 - d1
    return [4 * (d0 - d2) + d42, (d3 + d4) - 4 * (d1 + d2), (d4 - d3) + 4 * (d1 - d2), d42 + 2 * d31,
            d42 - 2 * d31, (d5 - d3) - 4 * d31]


def g5(k):
    """The G sequence of g_column (F(2, 5))."""
    k0, k1, k2, k3, k4 = k
    even, odd = k0 + k2 + k4, k1 + k3
    even4, odd4 = k0 + 4 * k2 + 16 * k4, 2 * k1 + 8 * k3
    return [k0 * F(1, 4), -(even + odd) / 6, -(even - odd) / 6, (even4 + odd4) / 24, (even4 - odd4) / 24, k4]


def a6(m):
    """The A^T sequence of a6 (F(2, 5))."""
    m0, m1, m2, m3, m4, m5 = m
    return [m0 + (m1 + m2) + (m3 + m4), (m1 - m2) + 2 * (m3 - m4) + m5]


def check(name, mats, r):
    at = [[F(v) for v in row] for row in mats["at"]]
    g = [[F(v) for v in row] for row in mats["g"]]
    bt = [[F(v) for v in row] for row in mats["bt"]]
    n = r + 1
    ok = True
    # Exact 1-D identity on the basis: for every d_i, g_k, sum_e at[y][e] g[e][k] bt[e][i] is 1 iff i == y + k.
    for y in range(2):
        for k in range(r):
            for i in range(n):
                v = sum((at[y][e] * g[e][k] * bt[e][i] for e in range(n)), F(0))
                if v != (1 if i == y + k else 0):
                    print(f"{name}: 1-D identity fails at y={y} k={k} i={i}: {v}")
                    ok = False
    rng = np.random.default_rng(1)
    atf, gf, btf = (np.array([[float(v) for v in row] for row in m_]) for m_ in (at, g, bt))
    for _ in range(100):
        d = rng.standard_normal(n)
        k = rng.standard_normal(r)
        want = np.array([np.dot(d[y:y + r], k) for y in range(2)])
        got = atf @ ((gf @ k) * (btf @ d))
        ok &= np.allclose(got, want, rtol=1e-12, atol=1e-12)
        d2 = rng.standard_normal((n, n))
        k2 = rng.standard_normal((r, r))
        want2 = np.array([[np.sum(d2[y:y + r, x:x + r] * k2) for x in range(2)] for y in range(2)])
        got2 = atf @ ((gf @ k2 @ gf.T) * (btf @ d2 @ btf.T)) @ atf.T
        ok &= np.allclose(got2, want2, rtol=1e-12, atol=1e-12)
    print(f"{name}: {'ok' if ok else 'FAILED'}")
    return ok


ok = check("F(2,3)", F23, 3) and check("F(2,5)", F25, 5)
at, g, bt = derive(2, 5, [0, 1, -1, 2, -2])
same = (at == [[F(v) for v in r] for r in F25["at"]] and g == [[F(v) for v in r] for r in F25["g"]]
        and bt == [[F(v) for v in r] for r in F25["bt"]])
print("F(2,5) matrices derived from the points", "match" if same else "DIFFER")
ok &= same
# The add/sub sequences of the C++ code equal the matrices (exact, on the unit vectors).
for i in range(6):
    e = [F(int(i == j)) for j in range(6)]
    ok &= b6(e) == [F(row[i]) for row in F25["bt"]]
    ok &= a6(e) == [F(row[i]) for row in F25["at"]]
for i in range(5):
    e = [F(int(i == j)) for j in range(5)]
    ok &= g5(e) == [F(row[i]) for row in F25["g"]]
print("add/sub sequences", "match" if ok else "DIFFER")
for nm, mat in (("B^T", bt), ("G", g), ("A^T", at)):
    print(nm)
    for row in mat:
        print("  ", " ".join(f"{str(v):>6}" for v in row))
sys.exit(0 if ok else 1)
