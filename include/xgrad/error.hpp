#pragma once
/// \file
/// The xgrad exception hierarchy and the check macro every operator uses.
///
/// Every failure a user can cause (a wrong shape, a bad option, a corrupt file) is reported as
/// one of these exceptions, never as undefined behaviour:
///
///     try { xgrad::matmul(a, b); }
///     catch (const xgrad::ShapeError& e) { std::cerr << e.what(); }

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace xgrad {

/// Root of every exception xgrad throws.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

/// Incompatible shapes or ranks.
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// A value outside its allowed range (an option, a NaN where none may be, a size).
class ValueError : public Error {
 public:
  using Error::Error;
};

/// A wrong dtype, or an operation a tensor's type does not support.
class TypeError : public Error {
 public:
  using Error::Error;
};

/// An index or dimension out of range.
class IndexError : public Error {
 public:
  using Error::Error;
};

/// A file that cannot be read or written, or whose content is corrupt.
class IOError : public Error {
 public:
  using Error::Error;
};

/// Misuse of the autograd engine (second backward through a freed graph, in-place on a leaf, ...).
class AutogradError : public Error {
 public:
  using Error::Error;
};

/// An allocation that failed: the message names the op, the shape and the bytes asked for. Thrown
/// instead of `std::bad_alloc` (PyTorch raises RuntimeError "not enough memory" here).
class OutOfMemoryError : public Error {
 public:
  using Error::Error;
};

}  // namespace xgrad

/// Throws `kind` (an xgrad::Error subclass) with a fmt-formatted message unless `cond` holds.
///     XGRAD_CHECK(a.dim() == 2, ShapeError, "mm: expected 2-D input, got {}-D", a.dim());
#define XGRAD_CHECK(cond, kind, ...)                          \
  do {                                                        \
    if (!(cond)) [[unlikely]] {                               \
      throw ::xgrad::kind(::fmt::format(__VA_ARGS__));        \
    }                                                         \
  } while (false)

/// Throws `kind` unconditionally with a fmt-formatted message.
#define XGRAD_THROW(kind, ...) throw ::xgrad::kind(::fmt::format(__VA_ARGS__))
