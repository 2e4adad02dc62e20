// Anomaly mode: where each node was recorded, and NaN/Inf checks on forward outputs and backward
// gradients. Everything here runs only while AnomalyMode is on; the callers test the switch
// first, so the cost when it is off is that one branch.

#include <xgrad/autograd/anomaly_mode.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/module.hpp>
#include <xgrad/warning.hpp>

#include <cctype>
#include <cmath>

namespace xgrad::autograd {

namespace {

// The modules whose forward is running on this thread, outermost first, each with its path
// (computed once on entry, so recording a node copies a string and walks nothing).
struct ModuleFrame {
  const nn::Module* module;
  std::string path;
};
thread_local std::vector<ModuleFrame> module_stack;

template <typename T>
int64_t count_non_finite_typed(const Tensor& t) {
  const T* p = t.data_ptr<T>();
  int64_t bad = 0;
  for (int64_t i = 0, n = t.numel(); i < n; ++i) bad += !std::isfinite(p[i]);
  return bad;
}

// Number of NaN/±Inf elements; integer and bool tensors have none.
int64_t count_non_finite(const Tensor& t) {
  if (!t.defined() || !t.is_floating_point() || t.numel() == 0) return 0;
  NoGradGuard no_grad;
  Tensor c = t.detach().contiguous();
  return c.dtype() == kFloat64 ? count_non_finite_typed<double>(c) : count_non_finite_typed<float>(c);
}

std::string sizes_list(const std::vector<std::vector<int64_t>>& sizes) {
  std::string s;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i) s += ", ";
    s += to_string(sizes[i]);
  }
  return s.empty() ? "(no tensor inputs)" : s;
}

}  // namespace

std::string op_name_from_grad_fn(const std::string& grad_fn_name) {
  std::string base = grad_fn_name;
  const auto pos = base.rfind("Backward");
  if (pos != std::string::npos && pos > 0) {
    bool digits_only = true;
    for (size_t i = pos + 8; i < base.size(); ++i) digits_only &= std::isdigit(static_cast<unsigned char>(base[i])) != 0;
    if (digits_only) base.resize(pos);
  }
  // CamelCase -> snake_case; a capital starts a word after a lower-case letter, or when it
  // ends a run of capitals ("NLLLoss" -> "nll_loss"); digits stay with the word before.
  std::string out;
  for (size_t i = 0; i < base.size(); ++i) {
    const auto c = static_cast<unsigned char>(base[i]);
    if (std::isupper(c) && i > 0) {
      const auto prev = static_cast<unsigned char>(base[i - 1]);
      const bool next_lower = i + 1 < base.size() && std::islower(static_cast<unsigned char>(base[i + 1]));
      if (std::islower(prev) || (std::isupper(prev) && next_lower)) out += '_';
    }
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

std::string current_module_path() { return module_stack.empty() ? std::string() : module_stack.back().path; }

std::string AnomalyMetadata::where() const {
  return fmt::format("recorded with input sizes {}{}", sizes_list(input_sizes),
                     module_path.empty() ? std::string(" outside any module") : " in module " + module_path);
}

namespace detail {

bool AnomalyModuleScope::push_module(const nn::Module& module) {
  // Entered twice in a row (seq(x) runs call_module, then Sequential::forward): one frame.
  if (!module_stack.empty() && module_stack.back().module == &module) return false;
  std::string path;
  if (module_stack.empty()) {
    path = module.short_name();
  } else {
    // The key under which the enclosing module registered this one ("0", "fc1"); a module
    // called from a forward that did not register it is named by its type.
    const ModuleFrame& parent = module_stack.back();
    std::string key;
    for (const auto& item : parent.module->named_children())
      if (item.value().get() == &module) {
        key = item.key();
        break;
      }
    path = parent.path + "." + (key.empty() ? module.short_name() : key);
  }
  module_stack.push_back({&module, std::move(path)});
  return true;
}

void AnomalyModuleScope::pop_module() {
  if (!module_stack.empty()) module_stack.pop_back();
}

void anomaly_check_forward(Node& node, const variable_list& inputs, const variable_list& outputs) {
  auto meta = std::make_shared<AnomalyMetadata>();
  const std::string name = node.name();
  meta->op = op_name_from_grad_fn(name);
  for (const auto& in : inputs) meta->input_sizes.push_back(in.defined() ? in.sizes().vec() : std::vector<int64_t>{});
  if (!module_stack.empty()) {
    const ModuleFrame& top = module_stack.back();
    meta->module_path = top.path;
    // The innermost module's type, unless the path already ends with it.
    const std::string& type = top.module->short_name();
    if (top.path.size() < type.size() || top.path.compare(top.path.size() - type.size(), type.size(), type) != 0)
      meta->module_path += " (" + type + ")";
  }
  // Recorded by a node's backward (create_graph): remember which, for the error's second traceback.
  if (const Node* parent = backward_node_running(); parent != nullptr && parent != &node) {
    meta->parent = parent->anomaly_metadata;
    meta->parent_name = parent->name();
  }
  node.anomaly_metadata = meta;
  if (!AnomalyMode::should_check_nan()) return;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const int64_t bad = count_non_finite(outputs[i]);
    XGRAD_CHECK(bad == 0, AutogradError,
                "anomaly mode: forward of op '{}' (grad_fn {}) produced {} NaN/Inf value(s) in output #{} (sizes "
                "{}); the op was {}. Check the op's input values (e.g. log or sqrt of a negative number, division "
                "by zero).",
                meta->op, name, bad, i, to_string(outputs[i].sizes()), meta->where());
  }
}

void anomaly_check_backward(const Node& node, const variable_list& grads) {
  if (!AnomalyMode::should_check_nan()) return;
  for (size_t i = 0; i < grads.size(); ++i) {
    const int64_t bad = count_non_finite(grads[i]);
    if (bad == 0) continue;
    const std::string name = node.name();
    const std::string op = node.anomaly_metadata ? node.anomaly_metadata->op : op_name_from_grad_fn(name);
    const std::string where =
        node.anomaly_metadata ? node.anomaly_metadata->where() : "recorded before anomaly mode was enabled";
    // PyTorch's first sentence (LibTorch code matches "returned nan"), then xgrad's details.
    const bool has_nan = grads[i].is_floating_point() && grads[i].detach().isnan().any().item<bool>();
    XGRAD_THROW(AutogradError,
                "Function '{}' returned {} values in its output #{}: anomaly mode: backward of op '{}' (grad_fn {}) "
                "returned {} NaN/Inf value(s) in the gradient of its input #{} (sizes {}); the op was {}. The "
                "gradient is not finite at these input values (e.g. sqrt at 0, log of a negative number).",
                name, has_nan ? "nan" : "inf", i, op, name, bad, i, to_string(grads[i].sizes()), where);
  }
}

void anomaly_report_backward_error(const Node& node) {
  const auto& meta = node.anomaly_metadata;
  XGRAD_WARN("Error detected in {}. Traceback of forward call that caused the error: {}", node.name(),
             meta ? fmt::format("op '{}' {}", meta->op, meta->where())
                  : std::string("not available (the node was recorded before anomaly mode was enabled)"));
  if (meta && !meta->parent_name.empty())
    XGRAD_WARN("Previous calculation was induced by {}. Traceback of forward call that induced the previous "
               "calculation: {}",
               meta->parent_name,
               meta->parent ? fmt::format("op '{}' {}", meta->parent->op, meta->parent->where())
                            : std::string("not available (recorded before anomaly mode was enabled)"));
}

}  // namespace detail

}  // namespace xgrad::autograd
