// The autograd profiler: per-thread event buffers filled by RecordFunction guards (each op's
// forward in Function<T>::apply, each backward node in the engine, optimizer steps, user
// ranges), collected when the profile stops, and summarised as a table or a Chrome trace.
//
// Everything here runs only while a profile is on: the callers test the global switch first.

#include <xgrad/autograd/anomaly_mode.hpp>
#include <xgrad/autograd/function.hpp>
#include <xgrad/error.hpp>
#include <xgrad/profiler.hpp>

#include "serialize/atomic_file.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace xgrad::autograd::detail {
std::string profiler_op_name(std::string_view grad_fn_name) { return op_name_from_grad_fn(std::string(grad_fn_name)); }
}  // namespace xgrad::autograd::detail

namespace xgrad::profiler {

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One thread's finished events. Its mutex is only ever contended by stop()/start(), which
// collect or clear every buffer; the recording thread takes it once per finished range.
struct ThreadBuffer {
  uint64_t thread_id = 0;
  std::mutex mutex;
  std::vector<Event> events;
};

struct State {
  std::mutex mutex;  // guards buffers, next_thread_id and owner
  std::vector<std::shared_ptr<ThreadBuffer>> buffers;
  uint64_t next_thread_id = 1;
  const profile* owner = nullptr;
};

// Never destroyed: thread_local buffers of threads that exit during static destruction would
// otherwise find the registry gone.
State& state() {
  static State* s = new State;
  return *s;
}

// Bumped at every start and stop, so a range that began in one session and ends after it
// stopped (another thread's, or one still open at stop()) is dropped instead of leaking into
// the next session.
std::atomic<uint64_t> current_session{0};
std::atomic<int64_t> session_start_ns{0};
std::atomic<uint64_t> next_event_id{1};

thread_local std::shared_ptr<ThreadBuffer> tls_buffer;
thread_local uint64_t tls_open_range = 0;  // id of the innermost range open on this thread

ThreadBuffer& thread_buffer() {
  if (!tls_buffer) {
    auto b = std::make_shared<ThreadBuffer>();
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    b->thread_id = s.next_thread_id++;
    s.buffers.push_back(b);
    tls_buffer = std::move(b);
  }
  return *tls_buffer;
}

std::string shapes_string(const std::vector<std::vector<int64_t>>& shapes) {
  std::string s = "[";
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (i) s += ", ";
    s += "[";
    for (size_t j = 0; j < shapes[i].size(); ++j) s += (j ? ", " : "") + std::to_string(shapes[i][j]);
    s += "]";
  }
  return s + "]";
}

// As PyTorch's table: seconds, milliseconds or microseconds with three decimals.
std::string format_time(double ns) {
  const double us = ns / 1e3;
  if (us >= 1e6) return fmt::format("{:.3f}s", us / 1e6);
  if (us >= 1e3) return fmt::format("{:.3f}ms", us / 1e3);
  return fmt::format("{:.3f}us", us);
}

std::string format_percent(double part, double whole) {
  return fmt::format("{:.2f}%", whole > 0 ? 100.0 * part / whole : 0.0);
}

}  // namespace

// ---- RecordFunction -----------------------------------------------------------------------------

namespace detail {
struct OpenRange {
  Event event;  // name, shapes, id, parent_id and the absolute start so far
  uint64_t session = 0;
};
}  // namespace detail

void RecordFunction::begin(std::string_view name, const autograd::variable_list& inputs) {
  if (open_ != nullptr) return;
  const uint64_t session = current_session.load();
  if (!is_enabled()) return;
  auto open = std::make_unique<detail::OpenRange>();
  Event& e = open->event;
  e.name.assign(name);
  e.input_shapes.reserve(inputs.size());
  for (const auto& t : inputs) e.input_shapes.push_back(t.defined() ? t.sizes().vec() : std::vector<int64_t>{});
  e.id = next_event_id.fetch_add(1, std::memory_order_relaxed);
  e.parent_id = tls_open_range;
  tls_open_range = e.id;
  open->session = session;
  open_ = open.release();
  open_->event.start_ns = now_ns();  // last: the bookkeeping above is not part of the range
}

void RecordFunction::end() {
  const int64_t end = now_ns();
  std::unique_ptr<detail::OpenRange> open(open_);
  open_ = nullptr;
  tls_open_range = open->event.parent_id;
  ThreadBuffer& b = thread_buffer();
  std::lock_guard<std::mutex> lock(b.mutex);
  // Checked under the buffer's lock, which stop() takes to collect: an event is either pushed
  // before its session's collection or seen to belong to a finished session.
  if (current_session.load() != open->session) return;
  Event& e = open->event;
  e.thread_id = b.thread_id;
  e.duration_ns = end - e.start_ns;
  b.events.push_back(std::move(e));
}

// ---- profile ------------------------------------------------------------------------------------

profile::~profile() {
  if (running_) stop();
}

void profile::start() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  XGRAD_CHECK(s.owner == nullptr, AutogradError,
              "profiler: start() was called while a profile is already running{}; stop it first (only one "
              "profile runs at a time in a process)",
              s.owner == this ? " (this one)" : "");
  for (auto& b : s.buffers) {
    std::lock_guard<std::mutex> block(b->mutex);
    b->events.clear();
  }
  events_.clear();
  s.owner = this;
  running_ = true;
  session_start_ns.store(now_ns());
  current_session.fetch_add(1);
  detail::profiler_enabled.store(true);
}

void profile::stop() {
  XGRAD_CHECK(running_, AutogradError, "profiler: stop() was called on a profile that is not running; call start() first");
  detail::profiler_enabled.store(false);
  current_session.fetch_add(1);
  State& s = state();
  std::vector<Event> collected;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    for (auto& b : s.buffers) {
      std::lock_guard<std::mutex> block(b->mutex);
      std::move(b->events.begin(), b->events.end(), std::back_inserter(collected));
      b->events.clear();
    }
    // A buffer only the registry still holds belongs to a thread that has exited.
    std::erase_if(s.buffers, [](const std::shared_ptr<ThreadBuffer>& b) { return b.use_count() == 1; });
    s.owner = nullptr;
  }
  running_ = false;

  const int64_t t0 = session_start_ns.load();
  std::unordered_map<uint64_t, size_t> index;
  index.reserve(collected.size());
  for (size_t i = 0; i < collected.size(); ++i) {
    collected[i].start_ns -= t0;
    collected[i].self_ns = collected[i].duration_ns;
    index.emplace(collected[i].id, i);
  }
  for (auto& e : collected) {
    auto it = index.find(e.parent_id);
    // A parent that began before start() (or was dropped at stop) is not in the profile.
    if (it == index.end()) {
      e.parent_id = 0;
      continue;
    }
    collected[it->second].self_ns -= e.duration_ns;
  }
  std::sort(collected.begin(), collected.end(), [](const Event& a, const Event& b) {
    if (a.thread_id != b.thread_id) return a.thread_id < b.thread_id;
    if (a.start_ns != b.start_ns) return a.start_ns < b.start_ns;
    return a.id < b.id;  // a parent opens before its children, so has the smaller id
  });
  events_ = std::move(collected);
}

EventAverages profile::key_averages(bool group_by_input_shape) const {
  XGRAD_CHECK(!running_, AutogradError, "profiler: key_averages() needs a stopped profile; call stop() first");
  std::vector<EventAverage> rows;
  std::map<std::pair<std::string, std::vector<std::vector<int64_t>>>, size_t> where;
  const std::vector<std::vector<int64_t>> no_shapes;
  for (const auto& e : events_) {
    auto key = std::make_pair(e.name, group_by_input_shape ? e.input_shapes : no_shapes);
    auto [it, inserted] = where.emplace(key, rows.size());
    if (inserted) {
      EventAverage r;
      r.key = e.name;
      if (group_by_input_shape) r.input_shapes = e.input_shapes;
      rows.push_back(std::move(r));
    }
    EventAverage& r = rows[it->second];
    ++r.count;
    r.cpu_time_total_ns += e.duration_ns;
    r.self_cpu_time_total_ns += e.self_ns;
  }
  return EventAverages(std::move(rows), group_by_input_shape);
}

std::string profile::chrome_trace_json() const {
  XGRAD_CHECK(!running_, AutogradError, "profiler: export_chrome_trace() needs a stopped profile; call stop() first");
  nlohmann::json events = nlohmann::json::array();
  const auto pid = static_cast<int64_t>(::getpid());
  for (const auto& e : events_) {
    nlohmann::json ev;
    ev["name"] = e.name;
    ev["ph"] = "X";
    ev["cat"] = "cpu_op";
    ev["ts"] = static_cast<double>(e.start_ns) / 1e3;
    ev["dur"] = static_cast<double>(e.duration_ns) / 1e3;
    ev["pid"] = pid;
    ev["tid"] = e.thread_id;
    ev["args"] = {{"Input Shapes", e.input_shapes}};
    events.push_back(std::move(ev));
  }
  nlohmann::json doc;
  doc["traceEvents"] = std::move(events);
  doc["displayTimeUnit"] = "ms";
  return doc.dump(1);
}

void profile::export_chrome_trace(const std::filesystem::path& path) const {
  const std::string text = chrome_trace_json();
  xgrad::detail::AtomicFile file(path);
  file.write(text.data(), text.size());
  file.commit();
}

// ---- EventAverages ------------------------------------------------------------------------------

const EventAverage* EventAverages::find(std::string_view key) const {
  for (const auto& r : rows_)
    if (r.key == key) return &r;
  return nullptr;
}

std::string EventAverages::table(std::string_view sort_by, int64_t row_limit) const {
  double (*metric)(const EventAverage&) = nullptr;
  if (sort_by == "self_cpu_time_total")
    metric = [](const EventAverage& r) { return static_cast<double>(r.self_cpu_time_total_ns); };
  else if (sort_by == "cpu_time_total")
    metric = [](const EventAverage& r) { return static_cast<double>(r.cpu_time_total_ns); };
  else if (sort_by == "cpu_time_avg")
    metric = [](const EventAverage& r) { return r.cpu_time_avg_ns(); };
  else if (sort_by == "count")
    metric = [](const EventAverage& r) { return static_cast<double>(r.count); };
  XGRAD_CHECK(metric != nullptr, ValueError,
              "profiler table: unknown sort_by '{}'; use self_cpu_time_total, cpu_time_total, cpu_time_avg or count",
              sort_by);

  std::vector<const EventAverage*> rows;
  for (const auto& r : rows_) rows.push_back(&r);
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const EventAverage* a, const EventAverage* b) { return metric(*a) > metric(*b); });
  if (row_limit >= 0 && rows.size() > static_cast<size_t>(row_limit)) rows.resize(static_cast<size_t>(row_limit));

  double self_total = 0;
  for (const auto& r : rows_) self_total += static_cast<double>(r.self_cpu_time_total_ns);

  constexpr size_t kMaxName = 55;  // longer names are cut with "...", as PyTorch does
  const auto shown_name = [&](const std::string& n) {
    return n.size() <= kMaxName ? n : n.substr(0, kMaxName - 3) + "...";
  };
  size_t name_w = 4;
  for (const auto* r : rows) name_w = std::max(name_w, shown_name(r->key).size());
  size_t shapes_w = 12;
  if (by_input_shape_)
    for (const auto* r : rows) shapes_w = std::max(shapes_w, shapes_string(r->input_shapes).size());
  constexpr size_t kCol = 12;
  const int ncols = 6;

  std::string rule = std::string(name_w, '-') + "  ";
  for (int i = 0; i < ncols; ++i) rule += std::string(kCol, '-') + "  ";
  if (by_input_shape_) rule += std::string(shapes_w, '-') + "  ";
  rule += "\n";

  std::string out = rule;
  out += fmt::format("{:>{}}  {:>{}}  {:>{}}  {:>{}}  {:>{}}  {:>{}}  {:>{}}  ", "Name", name_w, "Self CPU %", kCol,
                     "Self CPU", kCol, "CPU total %", kCol, "CPU total", kCol, "CPU time avg", kCol, "# of Calls", kCol);
  if (by_input_shape_) out += fmt::format("{:>{}}  ", "Input Shapes", shapes_w);
  out += "\n" + rule;
  for (const auto* r : rows) {
    out += fmt::format("{:>{}}  {:>{}}  {:>{}}  {:>{}}  {:>{}}  {:>{}}  {:>{}}  ", shown_name(r->key), name_w,
                       format_percent(static_cast<double>(r->self_cpu_time_total_ns), self_total), kCol,
                       format_time(static_cast<double>(r->self_cpu_time_total_ns)), kCol,
                       format_percent(static_cast<double>(r->cpu_time_total_ns), self_total), kCol,
                       format_time(static_cast<double>(r->cpu_time_total_ns)), kCol, format_time(r->cpu_time_avg_ns()),
                       kCol, r->count, kCol);
    if (by_input_shape_) out += fmt::format("{:>{}}  ", shapes_string(r->input_shapes), shapes_w);
    out += "\n";
  }
  out += rule;
  out += fmt::format("Self CPU time total: {}\n", format_time(self_total));
  return out;
}

// ---- RecordProfile ------------------------------------------------------------------------------

RecordProfile::RecordProfile(std::filesystem::path path)
    : path_(std::move(path)), uncaught_(std::uncaught_exceptions()) {
  profile_.start();
}

RecordProfile::~RecordProfile() noexcept(false) {
  if (profile_.running()) profile_.stop();
  if (std::uncaught_exceptions() > uncaught_) {
    // Unwinding: throwing now would terminate the program.
    try {
      profile_.export_chrome_trace(path_);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "xgrad::profiler::RecordProfile: could not write the trace: %s\n", e.what());
    }
    return;
  }
  profile_.export_chrome_trace(path_);
}

}  // namespace xgrad::profiler
