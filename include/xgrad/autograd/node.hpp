#pragma once
/// \file
/// Graph nodes. Each differentiable result points at the Node that made it (`grad_fn`); a
/// node's edges point at the nodes that made its inputs, or at a leaf's AccumulateGrad.
/// Nodes know nothing about any specific operator.

#include <xgrad/tensor.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace xgrad::autograd {

using variable_list = std::vector<Tensor>;

class Node;
struct AnomalyMetadata;  // anomaly_mode.hpp

/// Where a gradient goes: input slot `input_nr` of `function`.
struct Edge {
  std::shared_ptr<Node> function;
  uint32_t input_nr = 0;
  bool is_valid() const { return function != nullptr; }
};

/// Shape and dtype of one forward output, so backward can check (and zero-fill) its gradient.
struct OutputMeta {
  DimVector sizes;
  ScalarType dtype = kFloat32;
};

class Node {
 public:
  Node();
  /// Frees the chain of producers iteratively: a 100 000-node graph must not recurse.
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// PyTorch-style name, e.g. "MulBackward0".
  virtual std::string name() const = 0;
  /// Gradients w.r.t. each forward output in, gradients w.r.t. each next edge out.
  virtual variable_list apply(variable_list&& grad_outputs) = 0;
  /// Frees saved tensors; called by the engine after apply() unless the graph is retained.
  virtual void release_variables() {}
  /// The tensors this node keeps alive for its backward (empty once release_variables() ran).
  /// For graph inspection (make_dot, saved_tensors_stats); no version check, no copy.
  virtual variable_list saved_tensors() const { return {}; }
  /// Calls `f(tensor, saved_version)` on each tensor this node saved, which may replace both
  /// (used by rebase_history when an in-place op overwrites a tensor the node saved). Nodes
  /// saving no tensors keep the default, which does nothing.
  virtual void remap_saved_tensors_(const std::function<void(Tensor&, uint64_t&)>& /*f*/) {}

  const std::vector<Edge>& next_edges() const { return next_edges_; }
  const Edge& next_edge(size_t i) const { return next_edges_.at(i); }
  size_t num_outputs() const { return next_edges_.size(); }
  /// Number of forward outputs (= gradients this node receives).
  size_t num_inputs() const { return output_meta_.size(); }
  const OutputMeta& output_meta(size_t i) const { return output_meta_.at(i); }
  /// Creation order; later nodes run first when several are ready.
  uint64_t sequence_nr() const { return sequence_nr_; }
  /// Whether the gradient for next edge `i` is wanted: the edge leads somewhere and, while this
  /// thread runs a backward pass limited to some inputs (grad(), backward(inputs)), it leads to
  /// one of them (LibTorch's `task_should_compute_output`). Defined in engine.cpp.
  bool should_compute_output(size_t i) const;

  void set_next_edges(std::vector<Edge> edges) { next_edges_ = std::move(edges); }
  void add_output_meta(const Tensor& output);
  /// Non-leaf outputs of this node that called retain_grad(), by output index. Guarded by mutex().
  std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>> retained_grads;
  /// Non-leaf outputs of this node with register_hook hooks, by output index. Guarded by mutex().
  std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>> hooked_tensors;
  /// register_hook hooks of a tensor that was later modified in place, by output index: they
  /// stay with the version they were registered on (this node's output), as in PyTorch, while
  /// the tensor moved on to a new grad_fn. Run before hooked_tensors'. Guarded by mutex().
  std::vector<std::pair<uint32_t, std::function<Tensor(const Tensor&)>>> frozen_hooks;
  /// Where this node was recorded (op, input sizes, module path); set only while anomaly mode
  /// is on (see anomaly_mode.hpp), null otherwise.
  std::shared_ptr<const AnomalyMetadata> anomaly_metadata;

  /// Guards the node's mutable state (saved tensors, retained_grads) when backward passes on
  /// several threads share it (as LibTorch's `Node::mutex_`): the engine holds it around
  /// apply() and release_variables(). Recursive, so a hook run by apply() may re-enter.
  std::recursive_mutex& mutex() { return mutex_; }

 protected:
  std::vector<Edge> next_edges_;
  std::vector<OutputMeta> output_meta_;
  uint64_t sequence_nr_;
  std::recursive_mutex mutex_;
};

/// Sink node for a leaf that requires grad: adds the incoming gradient to `variable.grad()`.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(Tensor variable);
  std::string name() const override { return "AccumulateGrad"; }
  variable_list apply(variable_list&& grads) override;
  const Tensor& variable() const { return variable_; }

 private:
  Tensor variable_;
};

/// The edge along which a gradient for `t` flows: its grad_fn, or its leaf accumulator, or an
/// invalid edge when `t` does not require grad.
Edge gradient_edge(const Tensor& t);

/// Runs the register_hook hooks of the tensors whose gradients `node` is about to receive (its
/// hooked non-leaf outputs, or an AccumulateGrad's leaf) on `inputs`, replacing each gradient
/// with a hook's defined result. Called by the engine before the gradients are used.
void run_tensor_hooks(Node& node, variable_list& inputs);

/// Makes `t` the `output_nr`-th output of `fn` (sets grad_fn, records metadata).
void set_history(Tensor& t, const std::shared_ptr<Node>& fn, uint32_t output_nr);

/// Records an in-place op on `self` (LibTorch's rebase_history): `result` is the op's
/// out-of-place result, computed with the graph from `self` (and the op's other operands), so
/// its grad_fn's edge for self is self's current history. Writes result's values into self
/// (bumping self's version), and makes result's grad_fn self's grad_fn. The node's saved
/// tensors are fixed so they describe what backward needs: a saved `self` (the values before
/// the op) becomes a copy of them; a saved result becomes self, at its new version, so a later
/// in-place op on self makes backward throw. Hooks registered on self so far stay with its old
/// grad_fn; retain_grad() moves to the new one. When self is a differentiable view (see
/// DifferentiableViewMeta), the op changes its base too: the base's grad_fn becomes a
/// CopySlices node (the base's old history, with the op's backward applied to the view's
/// elements: sizes, strides and storage offset), and self's grad_fn is remade from the base's
/// new history (AsStridedBackward0), as LibTorch's. `op` names the in-place op in errors. Throws
/// ValueError when self is undefined, AutogradError when result has no grad_fn, ShapeError when
/// its sizes differ from self's.
void rebase_history(const Tensor& self, Tensor result, const char* op);

/// Whether any of `tensors` requires grad and grad mode is on: an op must then record a node.
bool compute_requires_grad(TensorList tensors);

}  // namespace xgrad::autograd
