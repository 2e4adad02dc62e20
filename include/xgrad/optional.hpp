#pragma once
/// \file
/// `xgrad::optional`, `xgrad::nullopt`, `xgrad::make_optional`: LibTorch's `c10::optional`
/// names, which are the standard library's here (LibTorch 1.13 had its own copy of the type).

#include <optional>

namespace xgrad {
template <typename T>
using optional = std::optional<T>;
using std::make_optional;
using std::nullopt;
using std::nullopt_t;
}  // namespace xgrad
