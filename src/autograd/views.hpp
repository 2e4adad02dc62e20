#pragma once
// Differentiable views and in-place ops on them (LibTorch's view + in-place handling); not part of
// the public API. See DifferentiableViewMeta in <xgrad/tensor.hpp>.

#include <xgrad/autograd/node.hpp>
#include <xgrad/tensor.hpp>

namespace xgrad::autograd::detail {

// LibTorch's handle_view_on_rebase: throws AutogradError, worded as LibTorch's, when `impl` is a
// view whose creation meta (anything but DEFAULT) forbids rewriting its base's history.
// `indirect`: the base or another view of it was modified, not this view. `op` prefixes the
// message when given.
void check_view_rebase(const TensorImpl& impl, bool indirect, const char* op);

// Brings a view's grad_fn up to date: when its base was modified in place by a recorded op since
// the grad_fn was made (storage history_version != attr_version), the grad_fn is remade as
// AsStridedBackward0 of the base's current history (or none, when the base does not require
// grad). A non-DEFAULT view throws there (check_view_rebase, indirect). No-op for a non-view.
void refresh_view_grad_fn(const std::shared_ptr<TensorImpl>& owner);

// Throws AutogradError naming `op` when an in-place op on the view `self` cannot be recorded in
// its base's history: the view reaches storage elements outside its base, or the base has
// elements sharing one memory location. Called before anything is written.
void check_view_geometry(const Tensor& self, const char* op);

// Throws AutogradError naming `op` unless `fn`, the node of an in-place op on the view `self`,
// takes self's history as its input 0 (what CopySlices relies on).
void check_view_rebase_node(const Tensor& self, const Node& fn, const char* op);

// The view half of rebase_history: `self` (a DEFAULT view) already holds the op's result and
// `fn` is the op's node (input 0 = self's old history). Makes the base's grad_fn a CopySlices
// node over the base's old history and `fn`, then remakes self's grad_fn from it.
void rebase_view_history(const Tensor& self, const std::shared_ptr<Node>& fn);

// rebase_history for an op whose kernel already wrote its result into `self` (a custom
// operator's Autograd fallback): records `result`'s history on self without copying the values
// back, so self's version moves once for the op, as in LibTorch. `result` must hold self's
// current values.
void rebase_history_written(const Tensor& self, Tensor result, const char* op);

// Moves what a tensor registered on its grad_fn when its history changes from `old_fn` to
// `fn` (output `nr`): hooks registered so far stay with `old_fn` (they watch the old version's
// gradient); retain_grad() follows the tensor.
void move_tensor_hooks(const std::shared_ptr<TensorImpl>& owner, const std::shared_ptr<Node>& old_fn,
                       const std::shared_ptr<Node>& fn, uint32_t nr);

}  // namespace xgrad::autograd::detail
