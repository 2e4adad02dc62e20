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
};

}  // namespace xgrad
