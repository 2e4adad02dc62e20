#define BOOST_TEST_MODULE profiler
#include <boost/test/unit_test.hpp>

#include "support/testing.hpp"

#include <xgrad/profiler.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace xgrad;
namespace F = xgrad::nn::functional;
namespace fs = std::filesystem;
using profiler::Event;

namespace {

// A conv -> relu -> pool -> linear -> cross_entropy classifier on 6x6 single-channel images.
struct Net {
  Tensor conv_w = randn({2, 1, 3, 3}).requires_grad_();
  Tensor conv_b = zeros({2}).requires_grad_();
  Tensor fc_w = randn({3, 8}).requires_grad_();
  Tensor fc_b = zeros({3}).requires_grad_();
  std::vector<Tensor> params() const { return {conv_w, conv_b, fc_w, fc_b}; }
  Tensor forward(const Tensor& x) const {
    Tensor h = F::conv2d(x, conv_w, F::Conv2dFuncOptions().bias(conv_b));  // [N, 2, 4, 4]
    h = F::relu(h);
    h = F::max_pool2d(h, F::MaxPool2dFuncOptions(2));  // [N, 2, 2, 2]
    return F::linear(h.flatten(1), fc_w, fc_b);
  }
};

void train_step(const Net& net, optim::SGD& opt, const Tensor& x, const Tensor& y) {
  XGRAD_RECORD_FUNCTION("train_step", {});
  opt.zero_grad();
  Tensor loss = F::cross_entropy(net.forward(x), y);
  loss.backward();
  opt.step();
}

int64_t count_of(const profiler::EventAverages& avg, const std::string& key) {
  const auto* r = avg.find(key);
  return r ? r->count : 0;
}

const Event* find_event(const std::vector<Event>& events, const std::string& name) {
  for (const auto& e : events)
    if (e.name == name) return &e;
  return nullptr;
}

const Event* by_id(const std::vector<Event>& events, uint64_t id) {
  for (const auto& e : events)
    if (e.id == id) return &e;
  return nullptr;
}

// A user op whose forward is made of other ops: they are its children in the profile.
struct SumOfSquares : autograd::Function<SumOfSquares> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return (x * x).sum();
  }
  static autograd::variable_list backward(AutogradContext* ctx, autograd::variable_list g) {
    return {2 * ctx->get_saved_variables()[0] * g[0]};
  }
};

fs::path temp_path(const std::string& name) {
  return fs::temp_directory_path() / ("xgrad_profiler_" + std::to_string(::getpid()) + "_" + name);
}

// Validates a Chrome trace file with Python's json module: required fields and types, "X"
// events, non-negative ts/dur, and per thread every event either disjoint from or contained in
// each earlier-starting one (a proper nesting). Prints the number of events.
const char* kCheckTrace = R"PY(
import json, sys
doc = json.load(open(sys.argv[1]))
evs = doc["traceEvents"]
assert isinstance(evs, list) and evs, "no events"
for e in evs:
    for k in ("name", "ph", "ts", "dur", "pid", "tid", "args"):
        assert k in e, (k, e)
    assert e["ph"] == "X", e
    assert isinstance(e["name"], str) and e["name"], e
    assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
    assert isinstance(e["dur"], (int, float)) and e["dur"] >= 0, e
    assert isinstance(e["pid"], int) and isinstance(e["tid"], int), e
    shapes = e["args"]["Input Shapes"]
    assert isinstance(shapes, list) and all(isinstance(s, list) for s in shapes), e
eps = 1e-3  # us: ns -> us rounding
by_tid = {}
for e in evs:
    by_tid.setdefault(e["tid"], []).append(e)
for tid, lst in by_tid.items():
    lst.sort(key=lambda e: (e["ts"], -e["dur"]))
    stack = []
    for e in lst:
        while stack and e["ts"] >= stack[-1]["ts"] + stack[-1]["dur"] - eps and not (
                e["ts"] + e["dur"] <= stack[-1]["ts"] + stack[-1]["dur"] + eps and e["dur"] == 0):
            stack.pop()
        if stack:
            p = stack[-1]
            assert e["ts"] + e["dur"] <= p["ts"] + p["dur"] + eps, ("overlap without nesting", p, e)
        stack.append(e)
print(len(evs))
)PY";

// Runs kCheckTrace on `file` with the system Python; returns the event count it printed.
long check_trace_with_python(const fs::path& file) {
  const fs::path script = temp_path("check_trace.py");
  std::ofstream(script) << kCheckTrace;
  const std::string cmd = "/usr/bin/python3 '" + script.string() + "' '" + file.string() + "' 2>&1";
  const auto [status, out] = xgrad::testing::run_command(cmd);
  fs::remove(script);
  BOOST_TEST_INFO("check script output:\n" << out);
  BOOST_REQUIRE_EQUAL(status, 0);
  return std::stol(out);
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_training_steps_give_exact_call_counts) {
  manual_seed(0);
  Net net;
  optim::SGD opt(net.params(), optim::SGDOptions(0.1));
  const Tensor x = randn({2, 1, 6, 6});
  const Tensor y = tensor(std::vector<int64_t>{0, 2});
  train_step(net, opt, x, y);  // warm-up, not profiled

  profiler::profile prof;
  prof.start();
  BOOST_TEST(profiler::is_enabled());
  train_step(net, opt, x, y);
  train_step(net, opt, x, y);
  prof.stop();
  BOOST_TEST(!profiler::is_enabled());

  const auto avg = prof.key_averages();
  const std::string table = avg.table("self_cpu_time_total");
  BOOST_TEST_MESSAGE(table);
  // Forward ops, by op name.
  BOOST_TEST(count_of(avg, "train_step") == 2);
  BOOST_TEST(count_of(avg, "convolution") == 2);
  BOOST_TEST(count_of(avg, "relu") == 2);
  BOOST_TEST(count_of(avg, "max_pool2d") == 2);               // the entry point...
  BOOST_TEST(count_of(avg, "max_pool2d_with_indices") == 2);  // ...and the op it runs
  BOOST_TEST(count_of(avg, "addmm") == 2);
  BOOST_TEST(count_of(avg, "nll_loss") == 2);  // cross_entropy is one fused op named as its node
  BOOST_TEST(count_of(avg, "Optimizer.step#SGD.step") == 2);
  // Backward nodes, by node name: four parameters accumulate a gradient per step.
  BOOST_TEST(count_of(avg, "NllLossBackward0") == 2);
  BOOST_TEST(count_of(avg, "AddmmBackward0") == 2);
  BOOST_TEST(count_of(avg, "MaxPool2DWithIndicesBackward0") == 2);
  BOOST_TEST(count_of(avg, "ReluBackward0") == 2);
  BOOST_TEST(count_of(avg, "ConvolutionBackward0") == 2);
  BOOST_TEST(count_of(avg, "AccumulateGrad") == 8);

  for (const char* col : {"Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls",
                          "Self CPU time total:"})
    BOOST_TEST(table.find(col) != std::string::npos, col);
  for (const char* name : {"convolution", "ConvolutionBackward0", "Optimizer.step#SGD.step", "train_step"})
    BOOST_TEST(table.find(name) != std::string::npos, name);

  // Self time never exceeds total; self times partition the top-level ranges' time exactly.
  int64_t self_sum = 0, top_sum = 0;
  for (const auto& r : avg.rows()) {
    BOOST_TEST(r.self_cpu_time_total_ns <= r.cpu_time_total_ns, r.key);
    BOOST_TEST(r.self_cpu_time_total_ns >= 0, r.key);
    self_sum += r.self_cpu_time_total_ns;
  }
  for (const auto& e : prof.events())
    if (e.parent_id == 0) top_sum += e.duration_ns;
  BOOST_TEST(self_sum == top_sum);
  // Everything ran inside the two train_step ranges, on this thread.
  int64_t top_level = 0;
  for (const auto& e : prof.events()) {
    if (e.parent_id == 0) {
      ++top_level;
      BOOST_TEST(e.name == "train_step");
    }
    BOOST_TEST(e.thread_id == prof.events().front().thread_id);
  }
  BOOST_TEST(top_level == 2);

  // The rows are sorted by the requested metric.
  const std::string by_count = avg.table("count", 1);
  BOOST_TEST(by_count.find("AccumulateGrad") != std::string::npos);
  BOOST_TEST(by_count.find("convolution") == std::string::npos);  // row_limit 1
}

BOOST_AUTO_TEST_CASE(nested_ops_are_children_and_self_time_excludes_them) {
  Tensor x = randn({4, 3}).requires_grad_();
  profiler::profile prof;
  prof.start();
  Tensor s = SumOfSquares::apply(x);
  Tensor p = F::max_pool2d(randn({1, 1, 4, 4}).requires_grad_(), F::MaxPool2dFuncOptions(2));
  prof.stop();
  const auto& ev = prof.events();

  const Event* outer = find_event(ev, "SumOfSquares");  // a user Function is named by its class
  const Event* mul = find_event(ev, "mul");
  const Event* sum = find_event(ev, "sum");
  BOOST_REQUIRE(outer && mul && sum);
  BOOST_TEST(outer->parent_id == 0u);
  BOOST_TEST(mul->parent_id == outer->id);
  BOOST_TEST(sum->parent_id == outer->id);
  BOOST_TEST(outer->input_shapes == (std::vector<std::vector<int64_t>>{{4, 3}}));
  BOOST_TEST(mul->input_shapes == (std::vector<std::vector<int64_t>>{{4, 3}, {4, 3}}));
  BOOST_TEST(outer->self_ns == outer->duration_ns - mul->duration_ns - sum->duration_ns);
  for (const Event* c : {mul, sum}) {
    BOOST_TEST(c->start_ns >= outer->start_ns);
    BOOST_TEST(c->start_ns + c->duration_ns <= outer->start_ns + outer->duration_ns);
  }
  BOOST_TEST(mul->start_ns + mul->duration_ns <= sum->start_ns);  // in program order

  const Event* pool = find_event(ev, "max_pool2d");
  const Event* inner = find_event(ev, "max_pool2d_with_indices");
  BOOST_REQUIRE(pool && inner);
  BOOST_TEST(inner->parent_id == pool->id);
  BOOST_TEST(pool->input_shapes == (std::vector<std::vector<int64_t>>{{1, 1, 4, 4}}));
  // Every parent link points at an event that contains the child.
  for (const auto& e : ev) {
    if (e.parent_id == 0) continue;
    const Event* parent = by_id(ev, e.parent_id);
    BOOST_REQUIRE(parent);
    BOOST_TEST(parent->start_ns <= e.start_ns);
    BOOST_TEST(e.start_ns + e.duration_ns <= parent->start_ns + parent->duration_ns);
  }
}

BOOST_AUTO_TEST_CASE(no_grad_fast_path_is_recorded_too) {
  profiler::profile prof;
  prof.start();
  {
    NoGradGuard no_grad;
    F::max_pool2d(randn({1, 1, 4, 4}), F::MaxPool2dFuncOptions(2));
  }
  prof.stop();
  const auto avg = prof.key_averages();
  BOOST_TEST(count_of(avg, "max_pool2d") == 1);
  BOOST_TEST(count_of(avg, "max_pool2d_with_indices") == 0);  // the values-only path has no Function
}

BOOST_AUTO_TEST_CASE(backward_nodes_are_recorded_with_gradient_shapes) {
  Tensor a = randn({2, 3}).requires_grad_();
  Tensor b = randn({2, 3}).requires_grad_();
  Tensor loss = (a * b).sum();
  profiler::profile prof;
  prof.start();
  loss.backward();
  prof.stop();
  const auto avg = prof.key_averages();
  BOOST_TEST(count_of(avg, "SumBackward0") == 1);
  BOOST_TEST(count_of(avg, "MulBackward0") == 1);
  BOOST_TEST(count_of(avg, "AccumulateGrad") == 2);
  const Event* mb = find_event(prof.events(), "MulBackward0");
  BOOST_REQUIRE(mb);
  BOOST_TEST(mb->input_shapes == (std::vector<std::vector<int64_t>>{{2, 3}}));
  // The forward ran before start(): the only muls are the two products inside MulBackward0.
  BOOST_TEST(count_of(avg, "mul") == 2);
  for (const auto& e : prof.events())
    if (e.name == "mul") BOOST_TEST(e.parent_id == mb->id);
}

BOOST_AUTO_TEST_CASE(chrome_trace_parses_and_nests) {
  manual_seed(1);
  Net net;
  optim::SGD opt(net.params(), optim::SGDOptions(0.1));
  const Tensor x = randn({2, 1, 6, 6});
  const Tensor y = tensor(std::vector<int64_t>{1, 0});
  profiler::profile prof;
  prof.start();
  train_step(net, opt, x, y);
  prof.stop();
  const fs::path path = temp_path("trace.json");
  prof.export_chrome_trace(path);
  BOOST_TEST(check_trace_with_python(path) == static_cast<long>(prof.events().size()));
  // Input shapes are in args; times are fractional microseconds.
  const std::string text = prof.chrome_trace_json();
  BOOST_TEST(text.find("\"Input Shapes\"") != std::string::npos);
  BOOST_TEST(text.find("\"ph\": \"X\"") != std::string::npos);
  fs::remove(path);
  // No temporary file is left next to it.
  for (const auto& entry : fs::directory_iterator(path.parent_path()))
    BOOST_TEST(entry.path().filename().string().find(path.filename().string() + ".") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(export_to_an_unwritable_place_throws_io_error) {
  profiler::profile prof;
  prof.start();
  prof.stop();
  BOOST_CHECK_THROW(prof.export_chrome_trace("/nonexistent_dir_xgrad/trace.json"), IOError);
}

BOOST_AUTO_TEST_CASE(disabled_profiler_records_nothing) {
  BOOST_TEST(!profiler::is_enabled());
  Tensor a = randn({3}).requires_grad_();
  {
    profiler::RecordFunction outside("outside");  // no profile: nothing
    (a * 2).sum().backward();
  }
  profiler::profile prof;
  prof.start();
  prof.stop();
  BOOST_TEST(prof.events().empty());
  (a + 1).sum().backward();  // after stop
  BOOST_TEST(prof.events().empty());
  // A second session sees only its own ops.
  prof.start();
  Tensor b = a + 1;
  prof.stop();
  BOOST_REQUIRE_EQUAL(prof.events().size(), 1u);
  BOOST_TEST(prof.events()[0].name == "add");
}

BOOST_AUTO_TEST_CASE(a_range_open_at_stop_is_dropped) {
  profiler::profile prof;
  prof.start();
  {
    profiler::RecordFunction open("open");
    Tensor a = zeros({2}) + 1;
    prof.stop();
  }
  BOOST_REQUIRE_EQUAL(prof.events().size(), 1u);
  BOOST_TEST(prof.events()[0].name == "add");
  BOOST_TEST(prof.events()[0].parent_id == 0u);  // its parent is not in the profile
}

BOOST_AUTO_TEST_CASE(misuse_throws_typed_errors) {
  profiler::profile prof;
  BOOST_CHECK_THROW(prof.stop(), AutogradError);
  prof.start();
  BOOST_CHECK_THROW(prof.start(), AutogradError);
  {
    profiler::profile other;
    BOOST_CHECK_THROW(other.start(), AutogradError);
  }
  BOOST_CHECK_THROW(prof.key_averages(), AutogradError);
  BOOST_CHECK_THROW(prof.export_chrome_trace(temp_path("never.json")), AutogradError);
  prof.stop();
  BOOST_CHECK_THROW(prof.key_averages().table("cuda_time"), ValueError);
}

BOOST_AUTO_TEST_CASE(record_profile_guard_writes_the_trace) {
  const fs::path path = temp_path("record_profile.json");
  fs::remove(path);
  {
    autograd::profiler::RecordProfile guard(path);  // LibTorch's spelling
    BOOST_TEST(profiler::is_enabled());
    RECORD_FUNCTION("labelled", {});
    Tensor a = ones({2, 2}) * 3;
  }
  BOOST_TEST(!profiler::is_enabled());
  BOOST_REQUIRE(fs::exists(path));
  BOOST_TEST(check_trace_with_python(path) == 2);  // "labelled" and "mul"
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  BOOST_TEST(text.str().find("\"labelled\"") != std::string::npos);
  BOOST_TEST(text.str().find("\"mul\"") != std::string::npos);
  fs::remove(path);
}

BOOST_AUTO_TEST_CASE(record_function_macro_takes_a_braced_list_and_evaluates_it_lazily) {
  int evaluated = 0;
  const auto counted = [&](Tensor t) {
    ++evaluated;
    return t;
  };
  const Tensor a = ones({1}), b = zeros({2, 3});
  {
    XGRAD_RECORD_FUNCTION("off", {counted(a), counted(b)});
  }
  BOOST_TEST(evaluated == 0);  // no profile: the list is never built
  profiler::profile prof;
  prof.start();
  {
    XGRAD_RECORD_FUNCTION("on", {counted(a), counted(b)});
  }
  prof.stop();
  BOOST_TEST(evaluated == 2);
  BOOST_REQUIRE_EQUAL(prof.events().size(), 1u);
  BOOST_TEST(prof.events()[0].name == "on");
  BOOST_TEST(prof.events()[0].input_shapes == (std::vector<std::vector<int64_t>>{{1}, {2, 3}}));
}

BOOST_AUTO_TEST_CASE(group_by_input_shape_splits_rows) {
  profiler::profile prof;
  prof.start();
  Tensor a = zeros({2}) + zeros({2});
  Tensor b = zeros({2}) + zeros({2});
  Tensor c = zeros({3, 1}) + zeros({3, 1});
  prof.stop();
  BOOST_TEST(count_of(prof.key_averages(), "add") == 3);
  const auto grouped = prof.key_averages(/*group_by_input_shape=*/true);
  std::map<std::vector<std::vector<int64_t>>, int64_t> counts;
  for (const auto& r : grouped.rows())
    if (r.key == "add") counts[r.input_shapes] = r.count;
  BOOST_TEST(counts.size() == 2u);
  BOOST_TEST((counts[{{2}, {2}}]) == 2);
  BOOST_TEST((counts[{{3, 1}, {3, 1}}]) == 1);
  const std::string table = grouped.table();
  BOOST_TEST(table.find("Input Shapes") != std::string::npos);
  BOOST_TEST(table.find("[[3, 1], [3, 1]]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(threads_record_into_their_own_buffers) {
  constexpr int kThreads = 4, kOps = 50;
  profiler::profile prof;
  prof.start();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([] {
      Tensor a = ones({3}).requires_grad_();
      for (int i = 0; i < kOps; ++i) (a * 2.0).sum().backward();
    });
  for (auto& th : threads) th.join();
  prof.stop();
  const auto avg = prof.key_averages();
  // Per iteration: the forward mul, and one mul inside MulBackward0 (grad * 2).
  BOOST_TEST(count_of(avg, "mul") == 2 * kThreads * kOps);
  BOOST_TEST(count_of(avg, "MulBackward0") == kThreads * kOps);
  BOOST_TEST(count_of(avg, "AccumulateGrad") == kThreads * kOps);
  std::map<uint64_t, int> per_thread;
  for (const auto& e : prof.events()) {
    if (e.name != "mul") continue;
    const Event* parent = by_id(prof.events(), e.parent_id);
    if (parent) BOOST_TEST((parent->name == "MulBackward0" && parent->thread_id == e.thread_id));
    if (e.parent_id == 0) ++per_thread[e.thread_id];
  }
  BOOST_TEST(per_thread.size() == static_cast<size_t>(kThreads));
  for (const auto& [tid, n] : per_thread) BOOST_TEST(n == kOps);
}
