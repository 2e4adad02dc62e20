#!/usr/bin/env python3
"""Self-test of check_output.py: it must accept matching output and reject every kind of
mismatch (so the `examples` tests can fail). Python 3 standard library only."""

import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "check_output.py")

EXPECTED = """tensor([[19., 25.],
        [37., 43.]])
epoch 2, loss {{dec:loss}}
epoch 4, loss {{dec:loss}}
tensor([[ {{~1:0.1}}, {{~-1:0.1}}]])
tensor([{{num}}, {{num}}])
diff {{<1e-6}}
"""

GOOD = """tensor([[19., 25.],
        [37., 43.]])
epoch 2, loss 8.330
epoch 4, loss 1.722
tensor([[ 1.0063, -0.9662]])
tensor([-6.1035e-05,  2.5000e+00])
diff 0.0
"""

CASES = [
    # (name, stdout, stderr, exit status, should pass)
    ("matching output", GOOD, "", 0, True),
    ("wrong value", GOOD.replace("19.", "18."), "", 0, False),
    ("loss not decreasing", GOOD.replace("1.722", "9.000"), "", 0, False),
    ("kernel too far", GOOD.replace("1.0063", "1.2063"), "", 0, False),
    ("bound exceeded", GOOD.replace("diff 0.0", "diff 0.01"), "", 0, False),
    ("missing line", GOOD.rsplit("\n", 2)[0] + "\n", "", 0, False),
    ("extra line", GOOD + "more\n", "", 0, False),
    ("non-zero exit", GOOD, "", 3, False),
    ("sanitizer report", GOOD, "x.cpp:3:5: runtime error: signed integer overflow\n", 0, False),
    ("not a number", GOOD.replace("8.330", "abc"), "", 0, False),
]


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        expected = os.path.join(tmp, "expected.txt")
        with open(expected, "w", encoding="utf-8") as f:
            f.write(EXPECTED)
        for name, out, err, status, should_pass in CASES:
            program = os.path.join(tmp, "program.py")
            with open(program, "w", encoding="utf-8") as f:
                f.write("import sys\n"
                        f"sys.stdout.write({out!r})\n"
                        f"sys.stderr.write({err!r})\n"
                        f"sys.exit({status})\n")
            proc = subprocess.run([sys.executable, CHECKER, sys.executable, expected, program],
                                  capture_output=True, text=True)
            passed = proc.returncode == 0
            verdict = "ok" if passed == should_pass else "WRONG"
            print(f"{verdict}: {name}: checker {'accepted' if passed else 'rejected'} it")
            if passed != should_pass:
                failures += 1
                print(proc.stdout)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
