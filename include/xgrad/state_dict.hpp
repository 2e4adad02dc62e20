#pragma once
/// \file
/// `StateDict`: what a checkpoint holds — named tensors plus string metadata. Modules,
/// optimizers, LR schedulers and the random generator each turn their state into one
/// (`state_dict()`) and restore it from one (`load_state_dict(...)`); `xgrad::save` /
/// `xgrad::load` (<xgrad/serialize.hpp>) write and read it in the safetensors layout.
///
/// Tensor names follow PyTorch's `state_dict()` keys ("features.0.weight",
/// "1.running_mean", "state.0.exp_avg"); metadata holds everything that is not a tensor
/// (an optimizer's hyper-parameters, a scheduler's counters), as strings.
///
///     xgrad::StateDict sd = model->state_dict();
///     sd.tensors["conv1.weight"];            // a Tensor
///     sd.metadata["format"] = "xgrad";
///
/// Several state dicts go into one file under prefixes (`merge`) and come back out of it
/// (`extract`):
///
///     xgrad::StateDict ckpt;
///     ckpt.merge(model->state_dict(), "model");          // "model.conv1.weight", ...
///     ckpt.merge(optimizer.state_dict(), "optimizer");   // "optimizer.state.0.exp_avg", ...
///     model->load_state_dict(ckpt.extract("model"));

#include <xgrad/ordered_dict.hpp>
#include <xgrad/tensor.hpp>

#include <map>
#include <string>

namespace xgrad {

struct StateDict {
  /// Named tensors, in the order they were added (PyTorch's state_dict order for a module).
  OrderedDict<std::string, Tensor> tensors{"Tensor"};
  /// Non-tensor state, as strings (numbers written with full round-trip precision).
  std::map<std::string, std::string> metadata;

  // ---- combining several state dicts in one file ---------------------------------------------
  /// Adds every tensor and metadata entry of `other` under `prefix + "."` ("model" turns
  /// "fc.weight" into "model.fc.weight"). Tensors are shared, not copied. Checks everything
  /// before adding anything: ValueError on an empty prefix or one containing '.', or when a
  /// resulting name already exists here (names listed).
  StateDict& merge(const StateDict& other, const std::string& prefix);
  /// The entries whose names start with `prefix + "."`, with that part removed: the inverse
  /// of merge. Tensors are shared. An absent prefix gives an empty StateDict.
  StateDict extract(const std::string& prefix) const;
  /// Whether any tensor or metadata name starts with `prefix + "."`.
  bool has_prefix(const std::string& prefix) const;
};

}  // namespace xgrad
