// nn::Module::state_dict / load_state_dict: a module's parameters and buffers as a StateDict
// under PyTorch's names, and back. Kept apart from module.cpp because it is the checkpoint
// side of Module (see src/serialize/ for the file format).

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/module.hpp>
#include <xgrad/print.hpp>

#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace xgrad::nn {

namespace {
// One parameter or buffer of the module tree: its dotted name and the module's own handle
// (not a detached copy, so load_state_dict can write into it).
struct Slot {
  std::string key;
  Tensor tensor;
};
}  // namespace

StateDict Module::state_dict() const {
  // PyTorch's Module._save_to_state_dict order: a module's parameters, then its buffers, then
  // each child under "name.". No deduplication: tied tensors appear under every name, as in
  // PyTorch, so a checkpoint loads into models whose parameters are not tied.
  StateDict out;
  const auto walk = [&out](const auto& self, const Module& m, const std::string& prefix) -> void {
    for (const auto& p : m.parameters_)
      if (p.value().defined()) out.tensors.insert(prefix + p.key(), p.value().detach());
    for (const auto& b : m.buffers_)
      if (b.value().defined()) out.tensors.insert(prefix + b.key(), b.value().detach());
    for (const auto& c : m.children_) self(self, *c.value(), prefix + c.key() + ".");
  };
  walk(walk, *this, std::string());
  return out;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  std::vector<Slot> slots;
  const auto walk = [&slots](const auto& self, const Module& m, const std::string& prefix) -> void {
    for (const auto& p : m.parameters_)
      if (p.value().defined()) slots.push_back({prefix + p.key(), p.value()});
    for (const auto& b : m.buffers_)
      if (b.value().defined()) slots.push_back({prefix + b.key(), b.value()});
    for (const auto& c : m.children_) self(self, *c.value(), prefix + c.key() + ".");
  };
  walk(walk, *this, std::string());

  // 1. Match every slot with the state dict and check shapes and dtypes, changing nothing yet.
  std::vector<std::string> missing, mismatches;
  std::vector<std::pair<Tensor, Tensor>> copies;  // (destination, source)
  std::unordered_set<std::string> expected;
  for (const auto& slot : slots) {
    expected.insert(slot.key);
    const Tensor* src = state.tensors.find(slot.key);
    if (src == nullptr) {
      missing.push_back(slot.key);
      continue;
    }
    if (!src->defined()) {
      mismatches.push_back(fmt::format("undefined tensor for {}: the state dict holds no value under this name", slot.key));
      continue;
    }
    if (src->sizes() != slot.tensor.sizes()) {
      mismatches.push_back(fmt::format(
          "size mismatch for {}: copying a param with shape {} from checkpoint, the shape in current model is {}.",
          slot.key, size_string(src->sizes()), size_string(slot.tensor.sizes())));
      continue;
    }
    // copy_ converts between float32 and float64 as PyTorch does; turning integers or booleans
    // into floats (or back) is almost surely the wrong checkpoint, so it is refused.
    const bool convertible = src->dtype() == slot.tensor.dtype() ||
                             (src->is_floating_point() && slot.tensor.is_floating_point());
    if (!convertible) {
      mismatches.push_back(fmt::format(
          "dtype mismatch for {}: copying a param of dtype torch.{} from checkpoint, the dtype in current model is "
          "torch.{}.",
          slot.key, dtype_name(src->dtype()), dtype_name(slot.tensor.dtype())));
      continue;
    }
    copies.emplace_back(slot.tensor, *src);
  }
  std::vector<std::string> unexpected;
  for (const auto& item : state.tensors)
    if (!expected.count(item.key())) unexpected.push_back(item.key());

  // 2. Report every problem at once, in PyTorch's order and wording.
  std::vector<std::string> errors;
  const auto quoted_list = [](const std::vector<std::string>& keys) {
    std::string s;
    for (size_t i = 0; i < keys.size(); ++i) s += (i ? ", \"" : "\"") + keys[i] + "\"";
    return s;
  };
  if (strict && !missing.empty()) errors.push_back("Missing key(s) in state_dict: " + quoted_list(missing) + ". ");
  if (strict && !unexpected.empty())
    errors.push_back("Unexpected key(s) in state_dict: " + quoted_list(unexpected) + ". ");
  errors.insert(errors.end(), mismatches.begin(), mismatches.end());
  if (!errors.empty()) {
    std::string msg = "Error(s) in loading state_dict for " + short_name() + ":";
    for (const auto& e : errors) msg += "\n\t" + e;
    throw ValueError(msg);
  }

  // 3. Copy in place: the module's tensors keep their identity (and autograd leaf status).
  NoGradGuard no_grad;
  for (auto& [dst, src] : copies) dst.copy_(src.detach());
}

}  // namespace xgrad::nn
