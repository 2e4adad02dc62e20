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
#include <vector>

#include <xgrad/str.hpp>

namespace xgrad {

/// Root of every exception xgrad throws.
///
/// An error raised inside a module's forward carries the path of the modules it unwound through
/// and the innermost module's description, before the op's own message:
///
///     Sequential/3 (Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))): conv2d: input has 3 channels, ...
///
/// The path starts at the outermost module called as `module(x)` (or a Sequential called as
/// `seq->forward(x)`); a module whose forward was called directly (`m->forward(x)`) from a plain
/// function adds nothing. `message()` is the op's message alone.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what), message_(what), what_(what) {}
  const char* what() const noexcept override { return what_.c_str(); }
  /// Same as what(): xgrad's messages carry no backtrace (LibTorch's `c10::Error` name).
  const char* what_without_backtrace() const noexcept { return what_.c_str(); }
  /// The message without the module context.
  const std::string& message() const noexcept { return message_; }
  /// The module path ("Sequential/3"); empty when the error was not raised inside a module.
  std::string module_path() const {
    std::string p;
    for (const auto& s : module_path_) p += (p.empty() ? "" : "/") + s;
    return p;
  }

  // ---- used by nn::call_module as the error leaves a module's forward ------------------------
  /// The innermost module seen so far (identity only; never dereferenced here), or null.
  const void* context_module_() const noexcept { return context_module_ptr_; }
  /// Records the first (innermost) module: its type name as the path and its description.
  void set_module_context_(const void* module, std::string type, std::string description) {
    context_module_ptr_ = module;
    module_path_ = {std::move(type)};
    module_description_ = std::move(description);
    update_what_();
  }
  /// An enclosing module: the previous module's path segment becomes `key` (its name in this
  /// module), and this module's type is prepended.
  void push_enclosing_module_(const void* module, std::string type, std::string key) {
    context_module_ptr_ = module;
    if (!key.empty() && !module_path_.empty()) module_path_.front() = std::move(key);
    module_path_.insert(module_path_.begin(), std::move(type));
    update_what_();
  }

 private:
  void update_what_() {
    if (module_path_.size() == 1)
      what_ = module_description_ + ": " + message_;
    else
      what_ = module_path() + " (" + module_description_ + "): " + message_;
  }
  std::string message_;
  std::string what_;
  std::vector<std::string> module_path_;
  std::string module_description_;
  const void* context_module_ptr_ = nullptr;
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

namespace xgrad::detail {
// TORCH_CHECK's message: the arguments concatenated (c10::str), or the condition when none.
inline std::string torch_check_message(const char* cond) {
  return std::string("Expected ") + cond + " to be true, but got false.";
}
template <typename... Args>
std::string torch_check_message(const char*, const Args&... args) {
  return ::xgrad::str(args...);
}
}  // namespace xgrad::detail

/// LibTorch's `TORCH_CHECK(cond, args...)`, for programs ported from LibTorch: throws
/// xgrad::Error (LibTorch's c10::Error) whose message is the arguments concatenated as
/// `operator<<` prints them. xgrad's own code uses XGRAD_CHECK, which names the error kind.
#define TORCH_CHECK(cond, ...)                                                                     \
  do {                                                                                             \
    if (!(cond)) [[unlikely]] {                                                                    \
      throw ::xgrad::Error(::xgrad::detail::torch_check_message(#cond __VA_OPT__(, ) __VA_ARGS__)); \
    }                                                                                              \
  } while (false)
