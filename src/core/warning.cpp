// The process-wide warning handler behind XGRAD_WARN.

#include <xgrad/warning.hpp>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <utility>

namespace xgrad {

namespace {
std::atomic<WarningHandler*> g_handler{nullptr};
std::atomic<bool> g_warn_always{false};
std::atomic<bool> g_as_errors{false};

WarningHandler& default_handler() {
  static WarningHandler handler;
  return handler;
}
}  // namespace

void WarningHandler::process(const SourceLocation& loc, const std::string& msg, bool /*verbatim*/) {
  // Once per call site, as Python's default warnings filter: a training loop that triggers the
  // same warning every step prints it once.
  static std::mutex mutex;
  static std::set<std::pair<std::string, uint32_t>> seen;
  {
    std::lock_guard lock(mutex);
    if (!Warning::get_warnAlways() && !seen.emplace(loc.file, loc.line).second) return;
  }
  std::fprintf(stderr, "Warning: %s (%s at %s:%u)\n", msg.c_str(), loc.function, loc.file, loc.line);
}

namespace Warning {

void warn(const SourceLocation& source_location, const std::string& msg, bool verbatim) {
  if (g_as_errors.load(std::memory_order_relaxed)) throw WarningError(msg);
  WarningHandler* handler = g_handler.load(std::memory_order_acquire);
  (handler ? *handler : default_handler()).process(source_location, msg, verbatim);
}

void set_warning_handler(WarningHandler* handler) noexcept { g_handler.store(handler, std::memory_order_release); }
WarningHandler* get_warning_handler() noexcept {
  WarningHandler* h = g_handler.load(std::memory_order_acquire);
  return h ? h : &default_handler();
}

void set_warnAlways(bool value) noexcept { g_warn_always.store(value, std::memory_order_relaxed); }
bool get_warnAlways() noexcept { return g_warn_always.load(std::memory_order_relaxed); }

}  // namespace Warning

void set_warnings_as_errors(bool value) noexcept { g_as_errors.store(value, std::memory_order_relaxed); }
bool warnings_as_errors() noexcept { return g_as_errors.load(std::memory_order_relaxed); }

}  // namespace xgrad
