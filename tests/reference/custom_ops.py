"""Reference for tests/autograd/library.cpp: how PyTorch 1.13 parses operator schemas.

Prints, for each schema, the name, overload name and each argument / return as
(name, type, alias set, is_write, kwarg_only, default), with PyTorch's types written the way
xgrad's FunctionSchema spells them (Optional[T] -> T?, List[T] -> T[], number -> Scalar).
xgrad keeps a default as the schema's text, so defaults are printed as written in the schema
when PyTorch's value prints back the same (the test lists the few that differ).

Run: /usr/bin/python3 tests/reference/custom_ops.py
"""
import re

import torch

SCHEMAS = [
    "_test::inplace_op(Tensor(a!) self, Tensor other) -> Tensor(a!)",
    "_test::two_arg_inplace_op(Tensor(a!) self, Tensor(b!) other) -> (Tensor(a!), Tensor(b!))",
    "_test::opt_op(Tensor self, Tensor? other) -> Tensor",
    "_test::ret_tuple_non_tensor(Tensor self, Tensor other) -> (Tensor, Tensor, int)",
    "_test::ret_tensor_vector_view(Tensor(a) self, Tensor other) -> Tensor[](a)",
    "_test::tensorlist_op(Tensor self, Tensor[] other) -> Tensor",
    "myops::f.out(Tensor self, *, Scalar alpha=1, int[2] size=[1, 2], bool keepdim=False, "
    'str mode="mean", SymInt n=3, Tensor? w=None, int? k=None) -> (Tensor values, Tensor indices)',
    "a::b() -> ()",
    "a::c(Tensor x) -> Tensor[]",
]

BAD = [
    "_test::f(Tensor self, Tensor other -> Tensor",
    "_test::f(Tensr self) -> Tensor",
    "_test::f(Tensor self) Tensor",
    "_test::f(Tensor(a self) -> Tensor",
]


def xgrad_type(t):
    s = str(t)
    m = re.fullmatch(r"Optional\[(.*)\]", s)
    if m:
        return xgrad_type_str(m.group(1)) + "?"
    return xgrad_type_str(s)


def xgrad_type_str(s):
    m = re.fullmatch(r"List\[(.*)\]", s)
    if m:
        return xgrad_type_str(m.group(1)) + "[]"
    return {"number": "Scalar"}.get(s, s)


def describe(a):
    alias = a.alias_info
    return (
        a.name,
        xgrad_type(a.type),
        sorted(alias.before_set)[0] if alias is not None and alias.before_set else None,
        alias.is_write if alias is not None else None,
        a.kwarg_only,
        a.default_value if a.has_default_value() else "-",
    )


for s in SCHEMAS:
    p = torch._C.parse_schema(s)
    print(p.name, repr(p.overload_name))
    for a in p.arguments:
        print("  arg", describe(a))
    for r in p.returns:
        print("  ret", describe(r))

for s in BAD:
    try:
        torch._C.parse_schema(s)
        print("parsed:", s)
    except RuntimeError as e:
        print("error:", s, "->", str(e).splitlines()[0])
