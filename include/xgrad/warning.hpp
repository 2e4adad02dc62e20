#pragma once
/// \file
/// Warnings: conditions that are not errors but likely mistakes (PyTorch warns, e.g., when a
/// loss's target size differs from its input size and broadcasting will pair the wrong
/// elements). They go to one process-wide handler, as LibTorch's `c10::Warning`:
///
///   - by default they are printed to stderr, once per call site (as Python's default filter);
///   - a handler of your own receives every one (tests capture them this way):
///
///         struct Capture : xgrad::WarningHandler {
///           std::vector<std::string> seen;
///           void process(const xgrad::SourceLocation&, const std::string& msg, bool) override {
///             seen.push_back(msg);
///           }
///         } capture;
///         xgrad::Warning::WarningHandlerGuard guard(&capture);
///
///   - `xgrad::set_warnings_as_errors(true)` turns each into a thrown `xgrad::WarningError`
///     (PyTorch: `warnings.simplefilter("error")`), for test suites that must stay clean.

#include <xgrad/error.hpp>

#include <cstdint>
#include <string>

namespace xgrad {

/// Where a warning was raised (c10::SourceLocation).
struct SourceLocation {
  const char* function = "";
  const char* file = "";
  uint32_t line = 0;
};

/// Receives warnings (c10::WarningHandler). The default implementation prints
/// "Warning: <msg> (<function> at <file>:<line>)" to stderr once per call site; with
/// Warning::set_warnAlways(true), every time.
class WarningHandler {
 public:
  virtual ~WarningHandler() = default;
  /// `verbatim`: the message already says where it comes from (kept for LibTorch's signature).
  virtual void process(const SourceLocation& source_location, const std::string& msg, bool verbatim);
};

/// A warning raised while set_warnings_as_errors(true) is in effect.
class WarningError : public Error {
 public:
  using Error::Error;
};

namespace Warning {
/// Sends a warning to the current handler (or throws WarningError, see set_warnings_as_errors).
void warn(const SourceLocation& source_location, const std::string& msg, bool verbatim = false);
/// Installs `handler` for the whole process (null restores the default). The caller keeps it
/// alive while installed.
void set_warning_handler(WarningHandler* handler) noexcept;
WarningHandler* get_warning_handler() noexcept;

/// Installs a handler for its lifetime, then restores the previous one.
class WarningHandlerGuard {
 public:
  explicit WarningHandlerGuard(WarningHandler* handler) : previous_(get_warning_handler()) {
    set_warning_handler(handler);
  }
  ~WarningHandlerGuard() { set_warning_handler(previous_); }
  WarningHandlerGuard(const WarningHandlerGuard&) = delete;
  WarningHandlerGuard& operator=(const WarningHandlerGuard&) = delete;

 private:
  WarningHandler* previous_;
};

/// With true, the default handler prints a call site's warning every time, not once, and
/// XGRAD_WARN_ONCE warnings are raised every time, not once per process (LibTorch's
/// `c10::WarningUtils::set_warnAlways`, Python's `torch.set_warn_always`). Process-wide.
void set_warnAlways(bool value) noexcept;
bool get_warnAlways() noexcept;

/// Sets warn-always (see set_warnAlways) for its lifetime, then restores the previous setting
/// (LibTorch's `c10::WarningUtils::WarnAlways`, reached in LibTorch code as
/// `c10::Warning::WarnAlways`):
///
///     xgrad::Warning::WarnAlways guard(true);  // every XGRAD_WARN_ONCE warning reaches the handler
class WarnAlways {
 public:
  explicit WarnAlways(bool setting = true) : previous_(get_warnAlways()) { set_warnAlways(setting); }
  ~WarnAlways() { set_warnAlways(previous_); }
  WarnAlways(const WarnAlways&) = delete;
  WarnAlways& operator=(const WarnAlways&) = delete;

 private:
  bool previous_;
};
}  // namespace Warning

/// With true, every warning throws a WarningError carrying its message instead of reaching the
/// handler. Process-wide; default false.
void set_warnings_as_errors(bool value) noexcept;
bool warnings_as_errors() noexcept;

}  // namespace xgrad

/// Raises a warning with a fmt-formatted message from this call site (TORCH_WARN).
#define XGRAD_WARN(...) \
  ::xgrad::Warning::warn(::xgrad::SourceLocation{__func__, __FILE__, static_cast<uint32_t>(__LINE__)}, \
                         ::fmt::format(__VA_ARGS__))

/// Raises a warning from this call site once per process, or every time while warn-always is
/// on (Warning::set_warnAlways / Warning::WarnAlways), as LibTorch's TORCH_WARN_ONCE. For
/// warnings about a usage pattern (not about particular values) that a loop would repeat.
#define XGRAD_WARN_ONCE(...)                                                   \
  do {                                                                         \
    if (::xgrad::Warning::get_warnAlways()) {                                  \
      XGRAD_WARN(__VA_ARGS__);                                                 \
    } else {                                                                   \
      [[maybe_unused]] static const bool xgrad_warned_once_ = [&] {            \
        XGRAD_WARN(__VA_ARGS__);                                               \
        return true;                                                           \
      }();                                                                     \
    }                                                                          \
  } while (false)
