#pragma once
/// \file
/// The autograd profiler, as PyTorch's `torch.autograd.profiler.profile` and LibTorch's
/// `torch::autograd::profiler::RecordProfile`.
///
/// While a profile runs, xgrad records every op's forward call (every `Function<T>::apply`,
/// built-in or user-defined), every backward node the engine runs, every optimizer step and
/// every user range opened with `RecordFunction`: its name, input shapes, thread, start time and
/// duration (steady clock, ns), and its parent (the range open on the same thread when it
/// started, e.g. `max_pool2d_with_indices` inside `max_pool2d`).
///
///     xgrad::profiler::profile prof;
///     prof.start();
///     {
///       xgrad::profiler::RecordFunction step("train_step");
///       auto loss = xgrad::nn::functional::cross_entropy(model->forward(x), y);
///       loss.backward();
///       optimizer.step();
///     }
///     prof.stop();
///     std::cout << prof.key_averages().table("self_cpu_time_total");
///     prof.export_chrome_trace("trace.json");  // open in chrome://tracing or ui.perfetto.dev
///
/// Forward rows are named after the op ("convolution", "relu", "nll_loss"; a user Function
/// without `name()` by its class name), backward rows after the node ("ConvolutionBackward0",
/// "AccumulateGrad"), optimizer steps "Optimizer.step#SGD.step", as PyTorch names them.
///
/// Only one profile runs at a time in a process (starting a second throws AutogradError, as
/// PyTorch refuses a nested profiler); it records on every thread. When no profile runs, each
/// op pays one relaxed atomic load and a branch: no clock read, no allocation.

#include <xgrad/autograd/node.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace xgrad::profiler {

namespace detail {
// Relaxed: a load is as cheap as a plain bool's; begin() re-checks under the session state.
inline std::atomic<bool> profiler_enabled{false};
struct OpenRange;  // a started range: its name, shapes, ids and start time
}  // namespace detail

/// Whether a profile is recording (on any thread).
inline bool is_enabled() { return detail::profiler_enabled.load(std::memory_order_relaxed); }

/// One recorded range (PyTorch's FunctionEvent).
struct Event {
  std::string name;
  /// Sizes of the tensor inputs (an undefined tensor gives an empty list); empty for ranges
  /// opened without inputs.
  std::vector<std::vector<int64_t>> input_shapes;
  /// Small integer naming the recording thread (1 for the first thread that recorded, ...).
  uint64_t thread_id = 0;
  /// Start, in ns since the profile started (steady_clock).
  int64_t start_ns = 0;
  int64_t duration_ns = 0;
  /// Unique within the profile (> 0); `parent_id` is the id of the range that was open on the
  /// same thread when this one started, 0 for a top-level range.
  uint64_t id = 0;
  uint64_t parent_id = 0;
  /// Duration minus the durations of this event's direct children.
  int64_t self_ns = 0;
};

/// Totals of the events sharing a name (and input shapes when grouped by them), as PyTorch's
/// FunctionEventAvg.
struct EventAverage {
  std::string key;
  std::vector<std::vector<int64_t>> input_shapes;  // set only when grouped by input shape
  int64_t count = 0;
  int64_t cpu_time_total_ns = 0;
  int64_t self_cpu_time_total_ns = 0;
  double cpu_time_avg_ns() const { return count ? static_cast<double>(cpu_time_total_ns) / count : 0.0; }
};

/// The result of `profile::key_averages` (PyTorch's EventList of averages).
class EventAverages {
 public:
  EventAverages(std::vector<EventAverage> rows, bool by_input_shape)
      : rows_(std::move(rows)), by_input_shape_(by_input_shape) {}
  const std::vector<EventAverage>& rows() const { return rows_; }
  /// The row with this key (the first one when grouped by input shape); nullptr when absent.
  const EventAverage* find(std::string_view key) const;
  /// A text table as PyTorch's `key_averages().table(sort_by=..., row_limit=...)`: columns Name,
  /// Self CPU %, Self CPU, CPU total %, CPU total, CPU time avg, # of Calls (and Input Shapes
  /// when grouped by them), rows sorted descending by `sort_by`: "self_cpu_time_total",
  /// "cpu_time_total", "cpu_time_avg" or "count" (ValueError otherwise). Percentages are of the
  /// sum of all self times. `row_limit` < 0 prints every row.
  std::string table(std::string_view sort_by = "self_cpu_time_total", int64_t row_limit = 100) const;

 private:
  std::vector<EventAverage> rows_;
  bool by_input_shape_ = false;
};

/// A profiling session (PyTorch's `torch.autograd.profiler.profile`). start() turns recording
/// on for the whole process, stop() turns it off and collects every thread's events.
class profile {
 public:
  profile() = default;
  /// Stops the session if it is still running.
  ~profile();
  profile(const profile&) = delete;
  profile& operator=(const profile&) = delete;

  /// Starts recording; clears events of an earlier run of this object. AutogradError when a
  /// profile is already running (this one or another).
  void start();
  /// Stops recording and collects the events; ranges still open are dropped. AutogradError
  /// when this profile is not running.
  void stop();
  bool running() const { return running_; }

  /// Every finished range, ordered by thread then start time. Empty until stop().
  const std::vector<Event>& events() const { return events_; }
  /// Totals per name (per name and input shapes with `group_by_input_shape`), as PyTorch's
  /// `prof.key_averages(group_by_input_shape=...)`. AutogradError while running.
  EventAverages key_averages(bool group_by_input_shape = false) const;
  /// Writes the events in Chrome's Trace Event Format: {"traceEvents": [{"name", "ph": "X",
  /// "ts" and "dur" in µs (fractional), "pid", "tid", "args": {"Input Shapes"}}...]}, readable by
  /// chrome://tracing and Perfetto. The file is replaced atomically. IOError when it cannot be
  /// written, AutogradError while running.
  void export_chrome_trace(const std::filesystem::path& path) const;
  /// The same JSON as a string.
  std::string chrome_trace_json() const;

 private:
  bool running_ = false;
  std::vector<Event> events_;
};

/// Profiles its lifetime and writes the Chrome trace to `path` when destroyed (LibTorch's
/// `torch::autograd::profiler::RecordProfile`, which writes to a file too; xgrad writes the
/// Chrome trace format). Throws as profile::start; the destructor throws IOError when the file
/// cannot be written, except during stack unwinding, when it prints the error to stderr.
class RecordProfile {
 public:
  explicit RecordProfile(std::filesystem::path path);
  ~RecordProfile() noexcept(false);
  RecordProfile(const RecordProfile&) = delete;
  RecordProfile& operator=(const RecordProfile&) = delete;
  /// The session, e.g. to print its table before the guard is destroyed (it is running).
  profile& session() { return profile_; }

 private:
  std::filesystem::path path_;
  profile profile_;
  int uncaught_ = 0;
};

/// A user-labelled range (PyTorch's `record_function` / LibTorch's RECORD_FUNCTION): while
/// a profile runs, the guard's lifetime is recorded under `name`, with the shapes of `inputs`;
/// ranges and ops opened inside it are its children. Otherwise it does nothing.
///
///     { xgrad::profiler::RecordFunction guard("my_step"); step(); }
class RecordFunction {
 public:
  RecordFunction() = default;
  explicit RecordFunction(std::string_view name, const autograd::variable_list& inputs = {}) {
    if (is_enabled()) [[unlikely]]
      begin(name, inputs);
  }
  // An inactive guard holds one null pointer: destroying it is this one test.
  ~RecordFunction() {
    if (open_ != nullptr) [[unlikely]]
      end();
  }
  RecordFunction(const RecordFunction&) = delete;
  RecordFunction& operator=(const RecordFunction&) = delete;

  /// Opens the range (call only on a default-constructed guard; a no-op when no profile runs
  /// or the guard is already open).
  void begin(std::string_view name, const autograd::variable_list& inputs);

 private:
  void end();

  detail::OpenRange* open_ = nullptr;  // allocated only while a profile runs
};

}  // namespace xgrad::profiler

#define XGRAD_PROFILER_CONCAT_IMPL(a, b) a##b
#define XGRAD_PROFILER_CONCAT(a, b) XGRAD_PROFILER_CONCAT_IMPL(a, b)
/// Records the rest of the enclosing scope as a range named `name`, with the shapes of the
/// tensors given after it (a variable_list or a braced list, `{}` for none): LibTorch's
/// RECORD_FUNCTION. Unlike the RecordFunction constructor, neither the name nor the list is
/// evaluated when no profile runs, so it costs one branch and allocates nothing on a hot path.
/// Two statements: use it at block scope.
#define XGRAD_RECORD_FUNCTION(name, ...)                                                     \
  ::xgrad::profiler::RecordFunction XGRAD_PROFILER_CONCAT(xgrad_record_function_, __LINE__); \
  if (::xgrad::profiler::is_enabled()) [[unlikely]]                                         \
  XGRAD_PROFILER_CONCAT(xgrad_record_function_, __LINE__).begin(name, __VA_ARGS__)
#ifndef RECORD_FUNCTION
#define RECORD_FUNCTION(name, ...) XGRAD_RECORD_FUNCTION(name, __VA_ARGS__)
#endif

namespace xgrad::autograd {
/// LibTorch's spelling: `torch::autograd::profiler::RecordProfile`.
namespace profiler = ::xgrad::profiler;
}  // namespace xgrad::autograd
