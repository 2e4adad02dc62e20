#pragma once
/// \file
/// Anomaly detection, as `torch::autograd::DetectAnomalyGuard` / `AnomalyMode`.
///
/// While it is on, every graph node records where it was made (the op, its grad_fn name, its
/// input shapes and the module path when it was made inside a module's forward), and the first
/// op whose forward output or backward gradient contains NaN or ±Inf throws `AutogradError`
/// naming all of that:
///
///     {
///       xgrad::autograd::DetectAnomalyGuard detect_anomaly;
///       auto x = xgrad::zeros({3}).requires_grad_();
///       x.sqrt().sum().backward();
///       // AutogradError: anomaly mode: backward of op 'sqrt' (grad_fn SqrtBackward0) returned
///       // 3 NaN/Inf value(s) in the gradient of its input #0 (sizes [3]); the op was recorded
///       // with input sizes [3] outside any module. ...
///     }
///
/// As in LibTorch, the switch is global (every thread sees it), not thread-local; guards nest
/// and restore the previous state. Forward outputs are checked only for ops that record a graph
/// (some input requires grad and grad mode is on). With anomaly mode off the checks cost one
/// branch per op and per module call.

#include <xgrad/autograd/node.hpp>

#include <atomic>
#include <string>
#include <vector>

namespace xgrad::nn {
class Module;
}

namespace xgrad::autograd {

namespace detail {
// Relaxed atomics: a load is as cheap as a plain bool's, and threads may flip it concurrently.
inline std::atomic<bool> anomaly_enabled{false};
inline std::atomic<bool> anomaly_check_nan{true};
}  // namespace detail

/// The global anomaly-detection switch (LibTorch's `AnomalyMode`).
struct AnomalyMode {
  static bool is_enabled() { return detail::anomaly_enabled.load(std::memory_order_relaxed); }
  /// Whether NaN/Inf checks run while anomaly mode is on (false records locations only).
  static bool should_check_nan() { return detail::anomaly_check_nan.load(std::memory_order_relaxed); }
  static void set_enabled(bool enabled, bool check_nan = true) {
    detail::anomaly_enabled.store(enabled, std::memory_order_relaxed);
    detail::anomaly_check_nan.store(check_nan, std::memory_order_relaxed);
  }
};

/// Turns anomaly mode on for its lifetime and restores the previous setting after
/// (`torch::autograd::DetectAnomalyGuard`). Global, not per thread. Slow: use it to find where
/// a NaN comes from, not in production runs.
class DetectAnomalyGuard {
 public:
  explicit DetectAnomalyGuard(bool check_nan = true)
      : prev_enabled_(AnomalyMode::is_enabled()), prev_check_nan_(AnomalyMode::should_check_nan()) {
    AnomalyMode::set_enabled(true, check_nan);
  }
  ~DetectAnomalyGuard() { AnomalyMode::set_enabled(prev_enabled_, prev_check_nan_); }
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool prev_enabled_;
  bool prev_check_nan_;
};

/// Where a node was recorded; attached to `Node::anomaly_metadata` in anomaly mode only.
struct AnomalyMetadata {
  /// The op, derived from the grad_fn name: "SqrtBackward0" -> "sqrt".
  std::string op;
  /// Sizes of the op's tensor inputs, in argument order.
  std::vector<std::vector<int64_t>> input_sizes;
  /// Module path when recorded inside a module's forward, e.g. "Sequential.2 (Functional)";
  /// empty outside any module.
  std::string module_path;
  /// "recorded with input sizes [4, 2] in module Sequential.1 (Functional)".
  std::string where() const;
  /// For a node recorded by a backward pass (create_graph): the metadata of the node whose
  /// backward recorded it (LibTorch's "previous calculation"); null otherwise.
  std::shared_ptr<const AnomalyMetadata> parent;
  /// The grad_fn name of that node (empty without a parent).
  std::string parent_name;
};

/// The op name for a grad_fn name: strips "Backward<N>" and turns CamelCase into snake_case
/// ("MaxPool2DWithIndicesBackward0" -> "max_pool2d_with_indices").
std::string op_name_from_grad_fn(const std::string& grad_fn_name);

/// The module path of the innermost module whose forward is running on this thread (empty when
/// none, or when anomaly mode was off as the module was entered).
std::string current_module_path();

namespace detail {
/// Called by nn::call_module around a module's forward: pushes the module on this thread's
/// module stack when anomaly mode is on; otherwise does nothing (one branch).
class AnomalyModuleScope {
 public:
  explicit AnomalyModuleScope(const nn::Module& module) {
    if (AnomalyMode::is_enabled()) [[unlikely]]
      pushed_ = push_module(module);
  }
  ~AnomalyModuleScope() {
    if (pushed_) [[unlikely]]
      pop_module();
  }
  AnomalyModuleScope(const AnomalyModuleScope&) = delete;
  AnomalyModuleScope& operator=(const AnomalyModuleScope&) = delete;

 private:
  static bool push_module(const nn::Module& module);  // false when `module` is already on top
  static void pop_module();
  bool pushed_ = false;
};

/// Anomaly mode's forward hook, called once per recorded op with its inputs and outputs:
/// attaches AnomalyMetadata to `node` and throws AutogradError when an output holds NaN/Inf.
void anomaly_check_forward(Node& node, const variable_list& inputs, const variable_list& outputs);
/// Anomaly mode's backward hook, called by the engine with the gradients `node` returned.
void anomaly_check_backward(const Node& node, const variable_list& grads);
/// Called by the engine when `node`'s backward threw in anomaly mode: warns with where the node
/// was recorded ("Traceback of forward call that caused the error"), and, for a node recorded
/// by an earlier backward, a second warning with where that backward's node was recorded
/// ("Traceback of forward call that induced the previous calculation"), as LibTorch.
void anomaly_report_backward_error(const Node& node);
/// The node whose backward is running on this thread (innermost pass), or null. In engine.cpp.
const Node* backward_node_running();
}  // namespace detail

}  // namespace xgrad::autograd

