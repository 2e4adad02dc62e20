"""Runs a compat program (built against xgrad) and compares its standard output with the
stored output of the same source built against LibTorch: the same words, and numbers equal to
1e-9 relative (1e-12 absolute).

Usage: compare.py PROGRAM EXPECTED.libtorch.txt
"""
import re
import subprocess
import sys

NUM = re.compile(r'^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$')
prog, expected_path = sys.argv[1], sys.argv[2]
got = subprocess.run([prog], capture_output=True, text=True, timeout=300, check=True).stdout.splitlines()
with open(expected_path) as f:
    want = f.read().splitlines()
bad = 0
if len(got) != len(want):
    print(f'{len(got)} lines, LibTorch printed {len(want)}')
    bad += 1
for n, (g, w) in enumerate(zip(got, want), 1):
    gt, wt = g.split(), w.split()
    same = len(gt) == len(wt)
    for a, b in zip(gt, wt):
        if NUM.match(a) and NUM.match(b):
            x, y = float(a), float(b)
            same = same and abs(x - y) <= 1e-12 + 1e-9 * abs(y)
        else:
            same = same and a == b
    if not same:
        print(f'line {n}:\n  xgrad:    {g}\n  LibTorch: {w}')
        bad += 1
print(f'{len(want) - bad} lines agree, {bad} differ')
sys.exit(1 if bad else 0)
