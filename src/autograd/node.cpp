// Node bookkeeping: edges to the producers of a node's inputs, and leaf accumulation.

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/autograd/node.hpp>

#include "autograd/views.hpp"

#include <algorithm>
#include <atomic>

namespace xgrad::autograd {

namespace {
std::atomic<uint64_t> next_sequence_nr{0};
}

Node::Node() : sequence_nr_(next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {}

namespace {
// The producers that nodes being destroyed have let go of: the first 16 inside (on the
// outermost ~Node's stack frame), the rest in a vector. A vector alone cost two allocations per
// graph, a tenth of those of the chapter's toy step. The order of release does not matter.
class DyingList {
 public:
  void push(std::shared_ptr<Node>&& n) {
    if (inline_count_ < kInline)
      inline_[inline_count_++] = std::move(n);
    else
      more_.push_back(std::move(n));
  }
  bool empty() const { return inline_count_ == 0 && more_.empty(); }
  std::shared_ptr<Node> pop() {
    if (!more_.empty()) {
      std::shared_ptr<Node> n = std::move(more_.back());
      more_.pop_back();
      return n;
    }
    return std::move(inline_[--inline_count_]);
  }

 private:
  static constexpr size_t kInline = 16;
  std::shared_ptr<Node> inline_[kInline];
  size_t inline_count_ = 0;
  std::vector<std::shared_ptr<Node>> more_;
};

// The list of the outermost ~Node running on this thread; null when none runs.
thread_local DyingList* dying_producers = nullptr;
}  // namespace

Node::~Node() {
  // Destroying the last owner of a node would destroy its producers recursively, one stack frame
  // chain per graph level. Instead the outermost ~Node on this thread collects every node's edges
  // and drops them one at a time from a loop: a producer whose last owner was that edge dies
  // there, handing its own edges to the same list, so the stack stays two frames deep.
  // Ownership is decided by shared_ptr's own (thread-safe) count, never by peeking at
  // use_count(): another thread may hold, or be taking (weak_ptr::lock of a leaf's
  // AccumulateGrad), a reference at the same moment.
  if (dying_producers != nullptr) {
    for (auto& e : next_edges_)
      if (e.function) dying_producers->push(std::move(e.function));
    return;
  }
  DyingList pending;
  for (auto& e : next_edges_)
    if (e.function) pending.push(std::move(e.function));
  dying_producers = &pending;
  while (!pending.empty()) {
    std::shared_ptr<Node> n = pending.pop();
    n.reset();  // may run ~Node, which appends to pending
  }
  dying_producers = nullptr;
}

void Node::add_output_meta(const Tensor& output) { output_meta_.push_back({DimVector(output.sizes()), output.dtype()}); }

AccumulateGrad::AccumulateGrad(Tensor variable) : variable_(std::move(variable)) {
  output_meta_.push_back({variable_.sizes().vec(), variable_.dtype()});
}

variable_list AccumulateGrad::apply(variable_list&& grads) {
  Tensor& new_grad = grads.at(0);
  if (!new_grad.defined()) return {};
  // Backward passes on other threads may reach this leaf at the same time (shared parameters):
  // the leaf's lock makes each read-add-write of grad, and the hooks after it, one step, so no
  // gradient is lost and a hook sees the gradient its own accumulation produced.
  std::lock_guard<std::recursive_mutex> lock(variable_.unsafeGetTensorImpl()->autograd_mutex);
  Tensor& grad = variable_.mutable_grad();
  // A .grad assigned by hand (mutable_grad() = t) is checked here, the first place it is used:
  // otherwise a wrong one surfaces as an add_ broadcast error or a silently broadcast sum.
  if (grad.defined()) {
    XGRAD_CHECK(grad.sizes() == variable_.sizes(), ShapeError,
                "AccumulateGrad: the leaf's grad has sizes {} but the leaf has sizes {}; a gradient assigned "
                "through mutable_grad() must have the tensor's sizes (assign an undefined Tensor() to reset it)",
                to_string(grad.sizes()), to_string(variable_.sizes()));
    XGRAD_CHECK(grad.dtype() == variable_.dtype(), TypeError,
                "AccumulateGrad: the leaf's grad has dtype {} but the leaf has dtype {}; a gradient assigned "
                "through mutable_grad() must have the tensor's dtype",
                dtype_name(grad.dtype()), dtype_name(variable_.dtype()));
  }
  if (GradMode::is_enabled()) {
    // create_graph: keep the accumulated gradient differentiable.
    grad = grad.defined() ? grad + new_grad : new_grad;
  } else if (!grad.defined()) {
    // Take over a gradient nobody else can see (as LibTorch does): the buffer the backward just
    // produced becomes .grad without a copy. A gradient shared with other graph buffers, the
    // caller or another view gets a private copy, so a later in-place accumulation cannot write
    // into someone else's tensor.
    const TensorImpl* impl = new_grad.unsafeGetTensorImpl();
    const bool sole_owner = new_grad.impl().use_count() == 1 && impl->storage.use_count() == 1 &&
                            impl->grad_fn == nullptr && !impl->requires_grad && impl->storage_offset == 0 &&
                            new_grad.is_contiguous() &&
                            static_cast<size_t>(impl->numel) * element_size(impl->dtype) == impl->storage->nbytes;
    grad = sole_owner ? std::move(new_grad) : new_grad.detach().clone().contiguous();
  } else {
    grad.add_(new_grad);
  }
  // Copy the list: a hook may register or remove hooks.
  if (!variable_.unsafeGetTensorImpl()->post_accumulate_grad_hooks.empty()) {
    auto hooks = variable_.unsafeGetTensorImpl()->post_accumulate_grad_hooks;
    for (auto& hook : hooks)
      if (hook) hook(variable_);
  }
  return {};
}

namespace {
// The hooks of one tensor on its gradient `grad` (copied first: a hook may register or remove).
void run_hooks_of(TensorImpl& impl, Tensor& grad) {
  std::vector<std::function<Tensor(const Tensor&)>> hooks;
  {
    std::lock_guard<std::recursive_mutex> lock(impl.autograd_mutex);
    hooks = impl.grad_hooks;
  }
  for (auto& hook : hooks) {
    if (!hook || !grad.defined()) continue;
    Tensor r = hook(grad);
    if (r.defined()) grad = std::move(r);
  }
}
}  // namespace

void run_tensor_hooks(Node& node, variable_list& inputs) {
  if (auto* acc = dynamic_cast<AccumulateGrad*>(&node)) {
    TensorImpl* impl = acc->variable().unsafeGetTensorImpl();
    if (impl != nullptr && !inputs.empty()) run_hooks_of(*impl, inputs[0]);
    return;
  }
  std::vector<std::pair<uint32_t, std::shared_ptr<TensorImpl>>> hooked;
  std::vector<std::pair<uint32_t, std::function<Tensor(const Tensor&)>>> frozen;
  {
    std::lock_guard<std::recursive_mutex> lock(node.mutex());
    for (const auto& [slot, weak] : node.hooked_tensors)
      if (auto impl = weak.lock()) hooked.emplace_back(slot, std::move(impl));
    frozen = node.frozen_hooks;
  }
  // Hooks of tensors modified in place since: they were registered first.
  for (auto& [slot, hook] : frozen) {
    if (!hook || slot >= inputs.size() || !inputs[slot].defined()) continue;
    Tensor r = hook(inputs[slot]);
    if (r.defined()) inputs[slot] = std::move(r);
  }
  for (auto& [slot, impl] : hooked)
    if (slot < inputs.size()) run_hooks_of(*impl, inputs[slot]);
}

Edge gradient_edge(const Tensor& t) {
  XGRAD_CHECK(t.defined(), ValueError, "gradient_edge: called on an undefined tensor");
  auto* impl = t.unsafeGetTensorImpl();
  // A view whose base was modified in place by a recorded op since its grad_fn was made gets
  // one made from the base's new history first (LibTorch's VariableHooks::grad_fn).
  detail::refresh_view_grad_fn(t.impl());
  if (impl->grad_fn) return Edge{impl->grad_fn, impl->output_nr};
  if (!impl->requires_grad) return Edge{};
  // One accumulator per leaf, cached weakly: the graph owns it, the leaf does not. Threads
  // recording through the same leaf must agree on it, or their gradients would be accumulated
  // by two nodes at once.
  std::lock_guard<std::recursive_mutex> lock(impl->autograd_mutex);
  std::shared_ptr<Node> acc = impl->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t);
    impl->grad_accumulator = acc;
  }
  return Edge{acc, 0};
}

void set_history(Tensor& t, const std::shared_ptr<Node>& fn, uint32_t output_nr) {
  XGRAD_CHECK(t.defined(), ValueError, "set_history: called on an undefined tensor (output #{})", output_nr);
  auto* impl = t.unsafeGetTensorImpl();
  impl->grad_fn = fn;
  impl->output_nr = output_nr;
  impl->requires_grad = false;
  if (auto* view = impl->view_meta()) view->set_attr_version(impl->storage->history_version);
}

namespace {
// Whether `a` and `b` are the same elements of one storage (a tensor and its detach()).
bool same_elements(const Tensor& a, const Tensor& b) {
  const TensorImpl& x = *a.unsafeGetTensorImpl();
  const TensorImpl& y = *b.unsafeGetTensorImpl();
  return x.storage == y.storage && x.storage_offset == y.storage_offset && x.sizes == y.sizes &&
         x.strides == y.strides && x.dtype == y.dtype;
}
}  // namespace

namespace {
// `copy_values`: false when the op's kernel already wrote the result into self.
void rebase_history_impl(const Tensor& self, Tensor result, const char* op, bool copy_values) {
  XGRAD_CHECK(self.defined(), ValueError, "rebase_history: called on an undefined tensor (in-place op {})", op);
  XGRAD_CHECK(result.defined() && result.grad_fn() != nullptr, AutogradError,
              "{}: internal error: the out-of-place result recorded no graph node, so the in-place op cannot be "
              "recorded",
              op);
  XGRAD_CHECK(result.sizes() == self.sizes(), ShapeError, "{}: the result has sizes {} but the tensor has sizes {}",
              op, to_string(result.sizes()), to_string(self.sizes()));
  // The node whose saved tensors describe the op (before any dtype conversion below).
  const std::shared_ptr<Node> op_node = result.grad_fn();
  // An op that returned (a view of) self itself would be overwritten by its own copy.
  if (result.unsafeGetTensorImpl()->storage == self.unsafeGetTensorImpl()->storage) result = result.clone();
  // self keeps its dtype (in-place ops cast to it); the conversion is part of the history.
  const bool converted = result.dtype() != self.dtype();
  if (converted) result = result.to(self.dtype());
  // A view: check that the op can be recorded in its base's history before anything is written.
  const bool view = self.unsafeGetTensorImpl()->view_meta() != nullptr;
  if (view) detail::check_view_rebase_node(self, *result.grad_fn(), op);

  // The node may have saved self, i.e. the values the op read: they are about to be
  // overwritten, so it keeps a copy (LibTorch's in-place formulas save the original self too).
  // Other tensors sharing self's memory in another layout stay as they are: their version check
  // reports the overwrite, as in PyTorch.
  // The copy keeps self's history (clone is differentiable, and grad mode is on while an op is
  // recorded): double backward through the op still sees how the old values depend on inputs.
  op_node->remap_saved_tensors_([&](Tensor& t, uint64_t& version) {
    if (!t.defined() || !same_elements(t, self)) return;
    t = t.clone();
    version = t._version();
  });
  if (copy_values) {
    NoGradGuard no_grad;
    self.copy_(result.detach());
  }
  // A saved result is now self's memory: keep self (graph-free, as a saved output), at its new
  // version, so that modifying self again makes backward throw (as PyTorch's saved outputs).
  if (!converted) {
    op_node->remap_saved_tensors_([&](Tensor& t, uint64_t& version) {
      if (!t.defined() || !same_elements(t, result)) return;
      t = self.detach();
      version = self._version();
    });
  }

  if (view) {
    // The op changed the view's base too: the base's history is rewritten (CopySlices).
    detail::rebase_view_history(self, result.grad_fn());
    return;
  }
  TensorImpl& impl = *self.unsafeGetTensorImpl();
  detail::move_tensor_hooks(self.impl(), impl.grad_fn, result.grad_fn(), result.output_nr());
  set_history(const_cast<Tensor&>(self), result.grad_fn(), result.output_nr());
  // Views of this memory recorded before now describe the old history (see gradient_edge).
  ++impl.storage->history_version;
}
}  // namespace

void rebase_history(const Tensor& self, Tensor result, const char* op) {
  rebase_history_impl(self, std::move(result), op, /*copy_values=*/true);
}

void detail::rebase_history_written(const Tensor& self, Tensor result, const char* op) {
  rebase_history_impl(self, std::move(result), op, /*copy_values=*/false);
}

bool compute_requires_grad(TensorList tensors) {
  if (!GradMode::is_enabled()) return false;
  for (const auto& t : tensors)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

}  // namespace xgrad::autograd
