"""PyTorch 1.13's behaviour on the hostile inputs of tests/core/bad_input.cpp and
tests/ops/pool_bad_input.cpp (issue 11, item 2). Run with /usr/bin/python3; prints one line per
case: the result, or the exception type and the first line of its message.

Where PyTorch gives a result, xgrad matches it (in-place writes through an expanded tensor are
refused, fill_/zero_/index_put_ allowed, p=0 and eval dropout return the input, a conv stride of
2^62 gives x[0,0,0,0] * w). Where PyTorch is wrong or undefined (NaN -> int64 gives INT64_MIN,
zeros(0, MAX, MAX) has wrapped strides) or refuses options above INT_MAX ("integer out of
range"), xgrad gives a typed error or the exact result worked by hand in the tests.
"""
import torch

M = 2**63 - 1
F = torch.nn.functional


def case(name, f):
    try:
        print(name, "->", f())
    except Exception as e:  # noqa: BLE001 - the point is to show what PyTorch raises
        print(name, "->", type(e).__name__ + ":", str(e).splitlines()[0][:120])


def overlap(op):
    b = torch.zeros(1)
    return op(b.expand(4)), b


case("zeros(0, MAX, MAX).stride()", lambda: torch.zeros(0, M, M).stride())
for name, op in [("add_", lambda e: e.add_(1)), ("sub_", lambda e: e.sub_(1)), ("mul_", lambda e: e.mul_(2)),
                 ("div_", lambda e: e.div_(2)), ("clamp_", lambda e: e.clamp_(0, 0.5)),
                 ("relu_", lambda e: e.relu_()), ("copy_", lambda e: e.copy_(torch.arange(4.0))),
                 ("copy_ 0-d", lambda e: e.copy_(torch.tensor(2.0))), ("uniform_", lambda e: e.uniform_()),
                 ("normal_", lambda e: e.normal_()), ("dropout inplace", lambda e: F.dropout(e, 0.5, True, True)),
                 ("fill_", lambda e: e.fill_(3)), ("zero_", lambda e: e.zero_()),
                 ("dropout p=0 inplace", lambda e: F.dropout(e, 0.0, True, True)),
                 ("dropout eval inplace", lambda e: F.dropout(e, 0.5, False, True)),
                 ("index_put_", lambda e: e.index_put_((torch.tensor([0]),), torch.tensor(5.0)))]:
    case("expand(4)." + name, lambda op=op: overlap(op))
case("zeros(3,1).expand(3,4).add_", lambda: torch.zeros(3, 1).expand(3, 4).add_(1))
case("expand(1).add_", lambda: torch.zeros(1).expand(1).add_(1))
case("nan.item() as int64", lambda: torch.tensor(float("nan")).to(torch.int64).item())
case("inf.to(int64)", lambda: torch.tensor([float("inf")]).to(torch.int64))
case("conv2d stride 2^62", lambda: F.conv2d((torch.arange(25.0) + 1).reshape(1, 1, 5, 5),
                                             torch.full((1, 1, 1, 1), 2.0), stride=2**62))
case("conv2d stride 2^62 pad 1", lambda: F.conv2d((torch.arange(25.0) + 1).reshape(1, 1, 5, 5),
                                                   torch.ones(1, 1, 2, 2), stride=2**62, padding=1))
case("max_pool2d stride 2^30", lambda: F.max_pool2d(torch.arange(16.0).reshape(1, 1, 4, 4), 2, 2**30))
case("max_pool2d padding 2^32", lambda: F.max_pool2d(torch.arange(16.0).reshape(1, 1, 4, 4), (1, 2**33), 1,
                                                     (0, 2**32)))
case("avg_pool2d kernel 3e9+1", lambda: F.avg_pool2d(torch.ones(1, 1, 1, 4), (1, 3000000001), 1,
                                                     (0, 1500000000)))
case("grad of wrong shape", lambda: setattr(torch.ones(3, requires_grad=True), "grad", torch.ones(4)))
# Not run here: conv2d of ones(2, 1, 1, 1) with a 1000 x 1000 kernel, stride 2, padding 2000
# does not finish within 2 minutes in PyTorch 1.13 (xgrad: OutOfMemoryError for its ~9 TB of
# im2col scratch, at once).
