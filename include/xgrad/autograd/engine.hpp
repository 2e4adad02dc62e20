#pragma once
/// \file
/// Reverse-mode execution of a recorded graph.

#include <xgrad/autograd/node.hpp>

#include <optional>

namespace xgrad::autograd {

/// Computes gradients of `tensors` (weighted by `grad_tensors`; omit for scalars) and
/// accumulates them into the leaves' grad(). Walks the graph iteratively in dependency order,
/// so arbitrarily deep graphs work. Unless `retain_graph`, saved tensors are freed.
void backward(const variable_list& tensors, const variable_list& grad_tensors = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false);

/// Returns the gradients of `outputs` w.r.t. `inputs` without touching any grad().
/// An input not reached gets an undefined tensor when `allow_unused`, else an error.
variable_list grad(const variable_list& outputs, const variable_list& inputs,
                   const variable_list& grad_outputs = {}, std::optional<bool> retain_graph = std::nullopt,
                   bool create_graph = false, bool allow_unused = false);

}  // namespace xgrad::autograd
