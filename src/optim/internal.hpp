#pragma once
// Helpers shared by the optimizers in src/optim/: reading options back from JSON, building and
// checking per-parameter state, and handing a parameter's memory to a kernel.

#include <xgrad/error.hpp>
#include <xgrad/optim/optimizer.hpp>
#include <xgrad/tensor.hpp>

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace xgrad::optim::detail {

using json = nlohmann::json;

/// Checks the parameters a `who` optimizer is constructed with (some, each a defined floating-point
/// leaf, none twice) before the Optimizer base sees them: during the base constructor the virtual
/// name() is still "Optimizer", so its own checks could not name the optimizer. ValueError.
std::vector<OptimizerParamGroup> checked_params(std::vector<OptimizerParamGroup> groups, const std::string& who);

/// Parses an options object and checks that its keys are exactly `keys` (ValueError naming
/// the first missing or unknown key).
json parse_options(const std::string& text, const std::string& who, std::initializer_list<const char*> keys);
/// A number (integers accepted) under `key`; ValueError naming the key otherwise.
double get_double(const json& j, const char* key, const std::string& who);
bool get_bool(const json& j, const char* key, const std::string& who);
/// A two-element list of numbers (Adam's betas).
std::pair<double, double> get_pair(const json& j, const char* key, const std::string& who);

/// The options of a group cast to the optimizer's options class; TypeError naming both when
/// they are another optimizer's.
template <typename Options>
const Options& options_as(const OptimizerOptions& o, const std::string& who) {
  const auto* p = dynamic_cast<const Options*>(&o);
  XGRAD_CHECK(p != nullptr, TypeError, "{}: a param group has options of another optimizer; expected {}", who,
              Options::kClassName);
  return *p;
}

/// Fresh zero state shaped and typed as `param`, contiguous (filled with `value`).
Tensor new_state_like(const Tensor& param, double value = 0.0);
/// The state tensor `key` of a loaded state dict, checked against `param` (same sizes and
/// dtype) and copied to fresh contiguous memory. ValueError when missing or different.
Tensor load_state_tensor(const std::map<std::string, Tensor>& tensors, const std::string& key, const Tensor& param);
/// A step counter: a one-element float64 (or int64) tensor holding a non-negative integer.
int64_t load_step(const std::map<std::string, Tensor>& tensors, const std::string& key);
/// ValueError naming the first key of `tensors` not in `allowed`.
void check_state_keys(const std::map<std::string, Tensor>& tensors, std::initializer_list<const char*> allowed);
/// A state tensor about to be handed to a kernel: ValueError when its sizes or dtype differ
/// from the parameter's (e.g. state set by hand), a contiguous copy when it is not contiguous.
Tensor kernel_state(const Tensor& state, const Tensor& param, const char* key, const std::string& who);
/// A 0-dim float64 tensor holding `step` (how step counters appear in state dicts).
Tensor step_tensor(int64_t step);

/// A parameter whose gradient is defined, checked (same sizes and dtype as the parameter) and
/// made contiguous; `work` is the parameter itself when contiguous, else a contiguous copy
/// that finish() writes back. finish() also counts the in-place update in the version of the
/// parameter's storage (as PyTorch's in-place ops do).
struct ParamUpdate {
  ParamUpdate(const Tensor& param, const std::string& who);
  void finish();
  Tensor param;
  Tensor work;
  Tensor grad;
};

/// Counts an in-place write to `t` (autograd's saved-tensor check).
inline void bump_version(const Tensor& t) { ++t.impl()->storage->version; }

/// Calls fn(T{}) with T = float or double after the parameter's dtype.
template <typename Fn>
void dispatch_float(ScalarType t, Fn&& fn) {
  if (t == kFloat64)
    fn(double{});
  else
    fn(float{});
}

}  // namespace xgrad::optim::detail
