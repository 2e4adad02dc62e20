// Node bookkeeping: edges to the producers of a node's inputs, and leaf accumulation.

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/autograd/node.hpp>

#include <atomic>

namespace xgrad::autograd {

namespace {
std::atomic<uint64_t> next_sequence_nr{0};
}

Node::Node() : sequence_nr_(next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {}

namespace {
// The producers that nodes being destroyed on this thread have let go of, while an outermost
// ~Node drains them; null when no ~Node is running on this thread.
thread_local std::vector<std::shared_ptr<Node>>* dying_producers = nullptr;
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
      if (e.function) dying_producers->push_back(std::move(e.function));
    return;
  }
  std::vector<std::shared_ptr<Node>> pending;
  for (auto& e : next_edges_)
    if (e.function) pending.push_back(std::move(e.function));
  dying_producers = &pending;
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
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
  {
    std::lock_guard<std::recursive_mutex> lock(node.mutex());
    for (const auto& [slot, weak] : node.hooked_tensors)
      if (auto impl = weak.lock()) hooked.emplace_back(slot, std::move(impl));
  }
  for (auto& [slot, impl] : hooked)
    if (slot < inputs.size()) run_hooks_of(*impl, inputs[slot]);
}

Edge gradient_edge(const Tensor& t) {
  XGRAD_CHECK(t.defined(), ValueError, "gradient_edge: called on an undefined tensor");
  auto* impl = t.unsafeGetTensorImpl();
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
}

bool compute_requires_grad(TensorList tensors) {
  if (!GradMode::is_enabled()) return false;
  for (const auto& t : tensors)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

}  // namespace xgrad::autograd
