#pragma once
/// \file
/// Looking at a recorded graph: a Graphviz dump (as torchviz's `make_dot`) and the memory its
/// saved tensors hold.
///
///     auto loss = xgrad::nn::functional::mse_loss(model->forward(x), y);
///     std::ofstream("graph.dot") << xgrad::autograd::make_dot(loss, model->named_parameters());
///     // dot -Tsvg graph.dot -o graph.svg
///     auto stats = xgrad::autograd::saved_tensors_stats(loss);
///     fmt::print("{} saved tensors, {} bytes\n", stats.count, stats.bytes);
///     loss.backward();   // frees the graph: saved_tensors_stats(loss).bytes == 0 now

#include <xgrad/autograd/node.hpp>
#include <xgrad/ordered_dict.hpp>

#include <cstdint>
#include <string>

namespace xgrad::autograd {

/// What the saved tensors of a graph keep alive.
struct SavedTensorsStats {
  /// Saved-tensor slots over all nodes (a tensor saved by two nodes, or twice by one, counts twice).
  int64_t count = 0;
  /// Bytes of the distinct storages those tensors keep alive: each storage counted once, however
  /// many nodes or views save it, and whole (a saved view keeps its base's storage).
  int64_t bytes = 0;
  /// Number of graph nodes visited (AccumulateGrad leaves included).
  int64_t nodes = 0;
};

/// Walks the graph that produced `root` (from `root.grad_fn()`, iteratively) and totals the
/// tensors its nodes saved for backward. A tensor without grad_fn gives all zeros; after a
/// backward() that did not retain the graph, `count` and `bytes` are 0. No PyTorch equivalent
/// (PyTorch users sum `grad_fn._saved_*` by hand or use saved_tensors_hooks).
SavedTensorsStats saved_tensors_stats(const Tensor& root);

/// The graph that produced `root` as Graphviz DOT text (torchviz's `make_dot(var, params,
/// show_saved=True)`): one box per node with its grad_fn name and output sizes (and, in
/// anomaly mode, the op's module path); an edge from each producer to its consumer; saved
/// tensors as orange boxes with sizes, dtype and bytes, dashed into the node that saved them;
/// leaves (AccumulateGrad) in light blue, named by `params` when the leaf is one of them
/// (e.g. `model->named_parameters()`), otherwise by their sizes; `root` in green. Render with
/// `dot -Tsvg`. Throws ValueError when `root` is undefined.
std::string make_dot(const Tensor& root, const OrderedDict<std::string, Tensor>& params = OrderedDict<std::string, Tensor>());

}  // namespace xgrad::autograd
