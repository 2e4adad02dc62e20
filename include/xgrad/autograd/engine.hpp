#pragma once
/// \file
/// Reverse-mode execution of a recorded graph.

#include <xgrad/autograd/node.hpp>

#include <functional>
#include <optional>

namespace xgrad::autograd {

/// Computes gradients of `tensors` (weighted by `grad_tensors`; omit for scalars) and
/// accumulates them into the leaves' grad(). Walks the graph iteratively in dependency order,
/// so arbitrarily deep graphs work. Unless `retain_graph`, saved tensors are freed.
/// With `inputs` (LibTorch's `torch::autograd::backward(..., inputs)`), gradients go only into
/// those tensors' grad(), and only nodes leading to them run; a non-leaf input gets
/// retain_grad() called on it and its grad() filled. An input the graph does not reach keeps
/// its grad(). Throws AutogradError when an input is undefined or does not require grad.
/// With `create_graph`, warns (XGRAD_WARN_ONCE, as LibTorch) "Using backward() with
/// create_graph=True will create a reference cycle ...": the leaves' new gradients hold graphs
/// that lead back to the leaves; prefer grad().
/// May be called from inside a node's backward (a custom Function's, a hook): the nested pass
/// finishes before the outer one goes on. Past 60 levels of such nesting on one thread, the
/// nested pass runs on a new thread while the caller waits (as LibTorch), so deep recursion
/// through backward does not overflow the stack; AutogradError if the system refuses the thread.
void backward(const variable_list& tensors, const variable_list& grad_tensors = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
              const variable_list& inputs = {});

/// Returns the gradients of `outputs` w.r.t. `inputs` without touching any grad().
/// Only nodes that lead to one of `inputs` run (a custom Function on an unrelated branch is
/// never applied, and needs_input_grad() is false for its gradients that lead nowhere wanted).
/// An input not reached gets an undefined tensor when `allow_unused`, else AutogradError ("Set
/// allow_unused=True"). An empty `inputs` is a ValueError, as in LibTorch. Reentrant calls
/// (from inside a backward) behave as backward()'s.
variable_list grad(const variable_list& outputs, const variable_list& inputs,
                   const variable_list& grad_outputs = {}, std::optional<bool> retain_graph = std::nullopt,
                   bool create_graph = false, bool allow_unused = false);

/// Runs `callback` once the backward pass now running on this thread has finished (after every
/// node and every leaf accumulation), as LibTorch's
/// `Engine::get_default_engine().queue_callback`. Callbacks run in the order queued and may
/// queue more. Meant for hooks (e.g. DistributedDataParallel finishing its gradient
/// reduction); throws AutogradError when no backward pass is running on this thread. If the
/// pass fails, queued callbacks are dropped.
void queue_callback(std::function<void()> callback);

}  // namespace xgrad::autograd
