#!/usr/bin/env python3
"""Runs a program and compares its standard output with an expected-output file, line by line.

    check_output.py PROGRAM EXPECTED [ARGS...]

Lines of EXPECTED must match exactly, except for placeholders that stand for one number (as
PyTorch prints it: `19.`, `-0.9662`, `6.1035e-05`; spaces before the number are absorbed so that
column padding that depends on the values does not matter):

    {{num}}           any number
    {{~V:T}}          a number within T of V            e.g. {{~1:0.1}}
    {{dec:NAME}}      a number strictly below the previous {{dec:NAME}} match (a decreasing
                      series, e.g. training losses); the first one only has to be a number
    {{<V}}            a number below V                  e.g. {{<1e-6}}

Exits 0 when the program exits 0, prints no sanitizer report on stderr and every line
matches; otherwise prints the differences with the full output and exits 1. Python 3 standard
library only.
"""

import re
import subprocess
import sys

NUMBER = r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan)"
TOKEN = re.compile(r"\{\{(.*?)\}\}")
SANITIZER_MARKERS = ("runtime error:", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer")


def compile_line(line):
    """Returns (regex, constraints) for one expected line."""
    pattern, constraints, pos = "", [], 0
    for m in TOKEN.finditer(line):
        pattern += re.escape(line[pos:m.start()]) + NUMBER
        constraints.append(m.group(1).strip())
        pos = m.end()
    pattern += re.escape(line[pos:])
    return re.compile(pattern + r"\Z"), constraints


def check_constraint(spec, value, series):
    """Returns an error message, or None when `value` satisfies `spec`."""
    if spec == "num":
        return None
    if spec.startswith("~"):
        target, tol = (float(s) for s in spec[1:].split(":"))
        if abs(value - target) <= tol:
            return None
        return f"{value} is not within {tol} of {target}"
    if spec.startswith("<"):
        bound = float(spec[1:])
        return None if value < bound else f"{value} is not below {bound}"
    if spec.startswith("dec:"):
        name = spec[4:]
        prev = series.get(name)
        series[name] = value
        if prev is None or value < prev:
            return None
        return f"series '{name}' does not decrease: {prev} then {value}"
    raise SystemExit(f"check_output.py: unknown placeholder {{{{{spec}}}}}")


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    program, expected_path, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(expected_path, encoding="utf-8") as f:
        expected = f.read().splitlines()
    proc = subprocess.run([program, *args], capture_output=True, text=True, timeout=600)
    actual = proc.stdout.splitlines()

    errors, series = [], {}
    if proc.returncode != 0:
        errors.append(f"{program} exited with status {proc.returncode}")
    # Sanitizer builds: a report fails the test even when the program was allowed to go on.
    for marker in SANITIZER_MARKERS:
        if marker in proc.stderr:
            errors.append(f"{program} printed a sanitizer report ({marker!r}, see stderr)")
    for n, exp in enumerate(expected, 1):
        if n > len(actual):
            errors.append(f"line {n}: missing, expected {exp!r}")
            continue
        got = actual[n - 1]
        regex, constraints = compile_line(exp)
        m = regex.match(got)
        if not m:
            errors.append(f"line {n}:\n  expected {exp!r}\n  got      {got!r}")
            continue
        for spec, text in zip(constraints, m.groups()):
            problem = check_constraint(spec, float(text), series)
            if problem:
                errors.append(f"line {n}: {problem}\n  line: {got!r}")
    for n in range(len(expected) + 1, len(actual) + 1):
        errors.append(f"line {n}: unexpected {actual[n - 1]!r}")

    if errors:
        print(f"FAIL: output of {program} does not match {expected_path}")
        for e in errors:
            print(e)
        print("---- stdout ----")
        print(proc.stdout, end="")
        if proc.stderr:
            print("---- stderr ----")
            print(proc.stderr, end="")
        return 1
    print(f"OK: {len(expected)} lines of {program} match {expected_path}")
    if proc.stderr:
        print("---- stderr ----")
        print(proc.stderr, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
