#pragma once
/// \file
/// Printing tensors and sizes exactly as PyTorch 1.13's Python `repr`, so a C++ example's output
/// can be compared with the Python original line by line.
///
///     auto x = xgrad::tensor({{19., 25.}, {37., 43.}});
///     std::cout << x << '\n';                      // tensor([[19., 25.],
///                                                  //         [37., 43.]])
///     fmt::print("{}\n", x);                       // the same text
///     fmt::print("{}\n", xgrad::Size(x.sizes()));  // torch.Size([2, 2])
///     std::cout << xgrad::size_string(x.sizes());  // torch.Size([2, 2])
///     fmt::print("{}\n", x.dtype());               // torch.float32
///
/// The rules are PyTorch's (torch/_tensor_str.py): 4 digits after the point, integer-valued
/// floats as `19.`, scientific notation when max/min > 1000, max > 1e8 or min < 1e-4, columns
/// padded to the widest element, lines wrapped at 80 characters, and tensors of more than 1000
/// elements summarised with `...` keeping 3 items at each edge. `set_printoptions` changes them
/// as `torch.set_printoptions` does.

#include <xgrad/array_ref.hpp>
#include <xgrad/tensor.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace xgrad {

/// PyTorch's printing knobs (torch.set_printoptions); defaults are PyTorch's.
struct PrintOptions {
  /// Digits after the decimal point for floating values.
  int64_t precision = 4;
  /// Tensors with more elements than this are summarised.
  int64_t threshold = 1000;
  /// Items kept at the start and end of each summarised dimension.
  int64_t edgeitems = 3;
  /// Characters per line before wrapping.
  int64_t linewidth = 80;
  /// nullopt: decide automatically; true/false: force or forbid scientific notation.
  std::optional<bool> sci_mode = std::nullopt;
};

/// Replaces the global print options (as torch.set_printoptions).
///
///     xgrad::set_printoptions({.precision = 2});
void set_printoptions(const PrintOptions& options);
/// The current global print options.
PrintOptions get_printoptions();

/// `torch.Size([2, 3])`, PyTorch's repr of `x.shape`.
///
///     xgrad::size_string(x.sizes());   // "torch.Size([2, 3])"
std::string size_string(IntArrayRef sizes);

/// Sizes that print as `torch.Size([...])` through `<<` and fmt, like Python's `x.shape`.
///
///     fmt::print("{}\n", xgrad::Size(y.sizes()));   // torch.Size([1, 1, 4, 4])
///     bool same = xgrad::Size(y.sizes()) == xgrad::Size({1, 1, 4, 4});
struct Size {
  std::vector<int64_t> dims;
  Size() = default;
  Size(IntArrayRef s) : dims(s.vec()) {}  // NOLINT: implicit, so `Size(x.sizes())` and `{2, 3}` work
  friend bool operator==(const Size& a, const Size& b) = default;
};

inline std::ostream& operator<<(std::ostream& os, const Size& s) { return os << size_string(s.dims); }

}  // namespace xgrad

/// `fmt::format("{}", tensor)` gives the same text as `tensor.to_string()`.
template <>
struct fmt::formatter<xgrad::Tensor> : fmt::formatter<std::string> {
  template <typename Ctx>
  auto format(const xgrad::Tensor& t, Ctx& ctx) const {
    return fmt::formatter<std::string>::format(t.to_string(), ctx);
  }
};

/// `fmt::format("{}", xgrad::Size(x.sizes()))` gives `torch.Size([2, 3])`.
template <>
struct fmt::formatter<xgrad::Size> : fmt::formatter<std::string> {
  template <typename Ctx>
  auto format(const xgrad::Size& s, Ctx& ctx) const {
    return fmt::formatter<std::string>::format(xgrad::size_string(s.dims), ctx);
  }
};

/// `fmt::format("{}", x.dtype())` gives `torch.float32`, as Python prints `x.dtype`.
template <>
struct fmt::formatter<xgrad::ScalarType> : fmt::formatter<std::string> {
  template <typename Ctx>
  auto format(xgrad::ScalarType t, Ctx& ctx) const {
    return fmt::formatter<std::string>::format(fmt::format("torch.{}", xgrad::dtype_name(t)), ctx);
  }
};
