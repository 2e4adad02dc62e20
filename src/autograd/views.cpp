// In-place ops on differentiable views, as LibTorch records them: the op's node is wrapped in a
// CopySlices node that becomes the base's grad_fn, and the views of the base get their grad_fn
// remade (AsStridedBackward0) from the base's new history when they are next used.

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/indexing.hpp>

#include "autograd/views.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace xgrad::autograd::detail {

namespace {

// Storage positions of a geometry's elements in row-major order.
std::vector<int64_t> positions(IntArrayRef sizes, IntArrayRef strides, int64_t offset) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(n));
  if (n == 0) return out;
  std::vector<int64_t> idx(sizes.size(), 0);
  int64_t off = offset;
  for (int64_t k = 0; k < n; ++k) {
    out.push_back(off);
    for (size_t d = sizes.size(); d-- > 0;) {  // odometer, last dimension fastest
      if (++idx[d] < sizes[d]) {
        off += strides[d];
        break;
      }
      off -= (sizes[d] - 1) * strides[d];
      idx[d] = 0;
    }
  }
  return out;
}

Tensor index_tensor(const std::vector<int64_t>& v, int64_t lo) {
  Tensor t = make_tensor({static_cast<int64_t>(v.size())}, kInt64, "CopySlices");
  int64_t* p = t.data_ptr<int64_t>();
  for (size_t i = 0; i < v.size(); ++i) p[i] = v[i] - lo;
  return t;
}

// Why the view's elements cannot be mapped onto its base's, or empty when they can: every
// element of the view must be one of the base's, and no two base elements may share a location.
std::string geometry_problem(const TensorImpl& base, const TensorImpl& view) {
  auto b = positions(base.sizes, base.strides, base.storage_offset);
  std::sort(b.begin(), b.end());
  if (std::adjacent_find(b.begin(), b.end()) != b.end())
    return fmt::format("its base (sizes {}, strides {}) has elements sharing one memory location",
                       to_string(IntArrayRef(base.sizes)), to_string(IntArrayRef(base.strides)));
  for (int64_t p : positions(view.sizes, view.strides, view.storage_offset))
    if (!std::binary_search(b.begin(), b.end(), p))
      return fmt::format("the view (sizes {}, strides {}, offset {}) reaches storage element {}, which is not an "
                         "element of its base (sizes {}, strides {}, offset {})",
                         to_string(IntArrayRef(view.sizes)), to_string(IntArrayRef(view.strides)),
                         view.storage_offset, p, to_string(IntArrayRef(base.sizes)),
                         to_string(IntArrayRef(base.strides)), base.storage_offset);
  return {};
}

// LibTorch's CopySlices: the history of a base after an in-place op on one of its views. Its
// gradient is the incoming one, except on the view's elements, where the op's backward (fn's
// gradient for its input 0, the view's old values) replaces it; fn's gradients for the op's
// other operands go to their own edges. Built from differentiable ops (index_put,
// index_select), so it supports double backward when fn does.
class CopySlices final : public Node {
 public:
  CopySlices(const TensorImpl& base, const TensorImpl& view, std::shared_ptr<Node> fn, Edge base_edge)
      : fn_(std::move(fn)), base_sizes_(base.sizes), view_sizes_(view.sizes) {
    const auto b = positions(base.sizes, base.strides, base.storage_offset);
    const auto v = positions(view.sizes, view.strides, view.storage_offset);
    lo_ = b.empty() ? 0 : *std::min_element(b.begin(), b.end());
    span_ = b.empty() ? 0 : *std::max_element(b.begin(), b.end()) - lo_ + 1;
    base_pos_ = index_tensor(b, lo_);
    view_pos_ = index_tensor(v, lo_);
    std::vector<Edge> edges = fn_->next_edges();
    edges.at(0) = std::move(base_edge);
    set_next_edges(std::move(edges));
    output_meta_.push_back({base.sizes, base.dtype});
  }
  std::string name() const override { return "CopySlices"; }

  variable_list apply(variable_list&& grads) override {
    variable_list out(num_outputs());
    const Tensor& grad = grads.at(0);
    if (!grad.defined()) return out;
    // The base's gradient laid out over the storage elements the base covers.
    Tensor buffer = zeros({span_}, grad.dtype());
    if (base_pos_.numel() > 0) buffer = index_put(buffer, {base_pos_}, grad.reshape({-1}));
    Tensor slice = buffer.index_select(0, view_pos_).view(view_sizes_);
    variable_list res;
    {
      std::lock_guard<std::recursive_mutex> lock(fn_->mutex());
      res = fn_->apply({slice});
    }
    // The view's old values were overwritten: they get fn's gradient (none: zero).
    Tensor self_grad = !res.empty() && res[0].defined() ? res[0] : zeros(view_sizes_, grad.dtype());
    if (view_pos_.numel() > 0) buffer = index_put(buffer, {view_pos_}, self_grad.reshape({-1}));
    out[0] = buffer.index_select(0, base_pos_).view(base_sizes_);
    for (size_t i = 1; i < out.size() && i < res.size(); ++i) out[i] = res[i];
    return out;
  }
  void release_variables() override { fn_->release_variables(); }
  variable_list saved_tensors() const override { return fn_->saved_tensors(); }
  void remap_saved_tensors_(const std::function<void(Tensor&, uint64_t&)>& f) override {
    fn_->remap_saved_tensors_(f);
  }

 private:
  std::shared_ptr<Node> fn_;
  DimVector base_sizes_, view_sizes_;
  int64_t lo_ = 0, span_ = 0;
  Tensor base_pos_, view_pos_;  // int64 storage positions relative to lo_, row-major
};

bool same_edge(const Edge& a, const Edge& b) { return a.function == b.function && a.input_nr == b.input_nr; }

}  // namespace

void check_view_rebase(const TensorImpl& impl, bool indirect, const char* op) {
  const DifferentiableViewMeta* meta = impl.view_meta();
  if (meta == nullptr) return;
  // A view autograd cannot replay (LibTorch's erroring view_func): refused when its history
  // would be remade, after the creation-meta checks below, as LibTorch orders them.
  if (meta->get_creation_meta() == CreationMeta::DEFAULT && !meta->replay_error().empty()) {
    if (op != nullptr) XGRAD_THROW(AutogradError, "{}: {}", op, meta->replay_error());
    XGRAD_THROW(AutogradError, "{}", meta->replay_error());
  }
  if (meta->get_creation_meta() == CreationMeta::DEFAULT) return;
  const CreationMeta cm = meta->get_creation_meta();
  const char* modified = indirect ? "its base or another view of its base has been" : "is being";
  std::string msg;
  if (impl.grad_fn)
    msg = fmt::format("Output {} of {} is a view and {} modified inplace.", impl.output_nr, impl.grad_fn->name(),
                      modified);
  else if (cm == CreationMeta::INFERENCE_MODE)
    msg = fmt::format("A view was created in inference mode and {} modified inplace in normal mode.", modified);
  else
    msg = fmt::format("A view was created in no_grad mode and {} modified inplace with grad mode enabled.", modified);
  switch (cm) {
    case CreationMeta::MULTI_OUTPUT_NODE:
      msg += " This view is the output of a function that returns multiple views. Such functions do not allow the "
             "output views to be modified inplace. You should replace the inplace operation by an out-of-place one.";
      break;
    case CreationMeta::NO_GRAD_MODE:
      msg += " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
             "moving both the view and the inplace either both inside the no_grad block (if you don't want the "
             "inplace to be tracked) or both outside (if you want the inplace to be tracked).";
      break;
    case CreationMeta::INFERENCE_MODE:
      msg += " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
             "moving both the view and the inplace either both inside the inference_mode block (if you don't want "
             "the inplace to be tracked) or both outside (if you want the inplace to be tracked).";
      break;
    case CreationMeta::IN_CUSTOM_FUNCTION:
      msg += " This view was created inside a custom Function (or because an input was returned as-is) and the "
             "autograd logic to handle view+inplace would override the custom backward associated with the custom "
             "Function, leading to incorrect gradients. This behavior is forbidden. You can fix this by cloning the "
             "output of the custom Function.";
      break;
    case CreationMeta::DEFAULT:
      break;
  }
  if (op != nullptr) XGRAD_THROW(AutogradError, "{}: {}", op, msg);
  XGRAD_THROW(AutogradError, "{}", msg);
}

void move_tensor_hooks(const std::shared_ptr<TensorImpl>& owner, const std::shared_ptr<Node>& old_fn,
                       const std::shared_ptr<Node>& fn, uint32_t nr) {
  TensorImpl& impl = *owner;
  if (old_fn) {
    std::lock_guard<std::recursive_mutex> lock(old_fn->mutex());
    auto& hooked = old_fn->hooked_tensors;
    const auto mine = [&](const auto& h) { return h.second.lock().get() == &impl; };
    if (std::any_of(hooked.begin(), hooked.end(), mine)) {
      std::lock_guard<std::recursive_mutex> hooks_lock(impl.autograd_mutex);
      for (auto& hook : impl.grad_hooks) {
        // Left empty in the tensor's list, so handles stay unique.
        if (hook) old_fn->frozen_hooks.emplace_back(impl.output_nr, std::move(hook));
        hook = nullptr;
      }
      std::erase_if(hooked, mine);
    }
    std::erase_if(old_fn->retained_grads, mine);
  }
  if (impl.retains_grad && fn) {
    std::lock_guard<std::recursive_mutex> lock(fn->mutex());
    fn->retained_grads.emplace_back(nr, owner);
  }
}

void refresh_view_grad_fn(const std::shared_ptr<TensorImpl>& owner) {
  TensorImpl& impl = *owner;
  DifferentiableViewMeta* meta = impl.view_meta();
  if (meta == nullptr) return;
  std::lock_guard<std::recursive_mutex> lock(impl.autograd_mutex);
  const uint64_t now = impl.storage->history_version;
  if (meta->get_attr_version() == now) return;
  const Tensor& base = meta->base();
  // Nothing to remake: the view has no history and its base none to view (LibTorch's shortcut).
  if (!impl.grad_fn && !base.requires_grad()) return;
  check_view_rebase(impl, /*indirect=*/true, nullptr);
  std::shared_ptr<Node> fn;
  if (base.requires_grad()) {
    AutoGradMode grad_on(true);
    fn = base.as_strided(impl.sizes, impl.strides, impl.storage_offset).grad_fn();
  }
  move_tensor_hooks(owner, impl.grad_fn, fn, 0);
  impl.grad_fn = fn;
  impl.output_nr = 0;
  meta->set_attr_version(now);
}

void check_view_geometry(const Tensor& self, const char* op) {
  const DifferentiableViewMeta* meta = self.impl()->view_meta();
  if (meta == nullptr) return;
  const std::string problem = geometry_problem(*meta->base().impl(), *self.impl());
  XGRAD_CHECK(problem.empty(), AutogradError,
              "{}: in-place operation on a view of another tensor, with autograd recording, cannot be recorded in "
              "the base's history: {}. clone() the view first and use the clone",
              op, problem);
}

void check_view_rebase_node(const Tensor& self, const Node& fn, const char* op) {
  // fn's input 0 must be the view's old history: that is the gradient CopySlices routes into the
  // base's. Every in-place op xgrad records passes self first; a node that does not (an op whose
  // result was converted to self's dtype) would give a wrong gradient, so it is refused.
  XGRAD_CHECK(fn.num_outputs() >= 1 && same_edge(fn.next_edge(0), gradient_edge(self)), AutogradError,
              "{}: in-place operation on a view of another tensor, with autograd recording, cannot be recorded in "
              "the base's history: the op's node ({}) does not take the view as its first input (e.g. a result of "
              "another dtype than the view's). clone() the view first and use the clone",
              op, fn.name());
}

void rebase_view_history(const Tensor& self, const std::shared_ptr<Node>& fn) {
  TensorImpl& impl = *self.unsafeGetTensorImpl();
  DifferentiableViewMeta* meta = impl.view_meta();
  Tensor base = meta->base();
  auto copy_slices = std::make_shared<CopySlices>(*base.impl(), impl, fn, gradient_edge(base));
  move_tensor_hooks(base.impl(), base.impl()->grad_fn, copy_slices, 0);
  set_history(base, copy_slices, 0);
  // Every view of the base, this one included, now describes the old history.
  ++impl.storage->history_version;
  refresh_view_grad_fn(self.impl());
}

}  // namespace xgrad::autograd::detail
