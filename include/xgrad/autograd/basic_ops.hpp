#pragma once
/// \file
/// Small graph nodes usable directly (LibTorch's `torch/csrc/autograd/functions/basic_ops.h`).

#include <xgrad/autograd/node.hpp>

#include <string>

namespace xgrad::autograd {

/// A forward operation whose backward gives no gradient (LibTorch's
/// `torch::autograd::UndefinedGrad`, Python's `torch._C._functions.UndefinedGrad`): apply()
/// returns a copy of each input (undefined for an undefined input) and, when grad mode is on
/// and an input requires grad, records an UndefinedGradBackward node whose backward returns an
/// undefined gradient for every input. It tests how a backward copes with undefined incoming
/// gradients:
///
///     auto y = xgrad::autograd::UndefinedGrad().apply({MyFunction::apply(x)})[0];
///     y.backward();  // MyFunction::backward receives zeros, or undefined with
///                    // ctx->set_materialize_grads(false)
///
/// Calling it as a node: its own backward (apply with gradients) is this forward; it records
/// no edges of its own.
class UndefinedGrad final : public Node {
 public:
  std::string name() const override { return "UndefinedGrad"; }
  /// Copies of `inputs`, recorded in the graph as described above. Any number of inputs.
  variable_list apply(variable_list&& inputs) override;
};

/// The backward node of UndefinedGrad: one undefined gradient per next edge, whatever it
/// receives (LibTorch's `torch::autograd::UndefinedGradBackward`).
class UndefinedGradBackward final : public Node {
 public:
  /// `outputs`: the forward results this node is the grad_fn of (their shapes and dtypes,
  /// undefined ones included, give the gradients it receives); `next_edges`: one per input.
  UndefinedGradBackward(const variable_list& outputs, std::vector<Edge> next_edges);
  std::string name() const override { return "UndefinedGradBackward"; }
  variable_list apply(variable_list&& grad_outputs) override;
};

}  // namespace xgrad::autograd
