#pragma once
/// \file
/// Thread-local switch for graph recording.
///
///     {
///       xgrad::NoGradGuard no_grad;     // nothing below records a graph
///       w -= lr * w.grad();
///     }

namespace xgrad {

struct GradMode {
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

/// Sets grad mode for its lifetime and restores the previous mode after.
class AutoGradMode {
 public:
  explicit AutoGradMode(bool enabled) : previous_(GradMode::is_enabled()) { GradMode::set_enabled(enabled); }
  ~AutoGradMode() { GradMode::set_enabled(previous_); }
  AutoGradMode(const AutoGradMode&) = delete;
  AutoGradMode& operator=(const AutoGradMode&) = delete;

 private:
  bool previous_;
};

/// Disables graph recording on this thread for its lifetime.
class NoGradGuard : public AutoGradMode {
 public:
  NoGradGuard() : AutoGradMode(false) {}
};

}  // namespace xgrad
