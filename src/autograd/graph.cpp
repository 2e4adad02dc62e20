// Graph inspection: both functions walk the nodes reachable from a tensor's grad_fn with an
// explicit stack (graphs may be 10^6 nodes deep) and read each node's saved_tensors().

#include <xgrad/autograd/anomaly_mode.hpp>
#include <xgrad/autograd/graph.hpp>

#include <fmt/format.h>

#include <unordered_map>
#include <unordered_set>

namespace xgrad::autograd {

namespace {

// Every node reachable from `root`, in discovery order (root first).
std::vector<Node*> reachable_nodes(Node* root) {
  std::vector<Node*> order;
  if (!root) return order;
  std::unordered_set<Node*> seen{root};
  std::vector<Node*> stack{root};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    order.push_back(n);
    for (const auto& e : n->next_edges())
      if (e.is_valid() && seen.insert(e.function.get()).second) stack.push_back(e.function.get());
  }
  return order;
}

int64_t tensor_bytes(const Tensor& t) { return t.numel() * static_cast<int64_t>(element_size(t.dtype())); }

// DOT strings are double-quoted; escape what would end or break them.
std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

SavedTensorsStats saved_tensors_stats(const Tensor& root) {
  SavedTensorsStats stats;
  if (!root.defined()) return stats;
  std::unordered_set<const Storage*> storages;
  for (Node* n : reachable_nodes(root.grad_fn().get())) {
    ++stats.nodes;
    for (const auto& t : n->saved_tensors()) {
      ++stats.count;
      const Storage* s = t.unsafeGetTensorImpl()->storage.get();
      if (s && storages.insert(s).second) stats.bytes += static_cast<int64_t>(s->nbytes);
    }
  }
  return stats;
}

std::string make_dot(const Tensor& root, const OrderedDict<std::string, Tensor>& params) {
  XGRAD_CHECK(root.defined(), ValueError, "make_dot: the tensor is undefined");
  // A leaf's accumulator is found from the parameter through its weak grad_accumulator link, so
  // naming needs nothing from AccumulateGrad itself.
  std::unordered_map<const Node*, std::string> param_names;
  for (const auto& item : params) {
    if (!item.value().defined()) continue;
    if (auto acc = item.value().unsafeGetTensorImpl()->grad_accumulator.lock()) param_names[acc.get()] = item.key();
  }

  const std::vector<Node*> nodes = reachable_nodes(root.grad_fn().get());
  std::unordered_map<const Node*, size_t> ids;
  for (size_t i = 0; i < nodes.size(); ++i) ids[nodes[i]] = i;

  std::string out = "digraph xgrad {\n";
  out += "  node [shape=box, style=filled, fillcolor=lightgray, fontname=\"monospace\", fontsize=10];\n";
  out += fmt::format("  root [label=\"{}\", fillcolor=darkolivegreen1];\n",
                     escape(fmt::format("output\n{} {}", to_string(root.sizes()), dtype_name(root.dtype()))));
  if (!nodes.empty()) out += fmt::format("  n{} -> root;\n", ids[nodes[0]]);

  for (const Node* n : nodes) {
    const size_t id = ids[n];
    std::string label;
    std::string color = "lightgray";
    if (dynamic_cast<const AccumulateGrad*>(n) != nullptr) {
      // A leaf: its name when it is one of params, its sizes always.
      auto it = param_names.find(n);
      label = it != param_names.end() ? it->second : std::string("leaf");
      color = "lightblue";
    } else {
      label = n->name();
      if (n->anomaly_metadata && !n->anomaly_metadata->module_path.empty())
        label += "\nin " + n->anomaly_metadata->module_path;
    }
    for (size_t i = 0; i < n->num_inputs(); ++i) label += "\n-> " + to_string(n->output_meta(i).sizes);
    out += fmt::format("  n{} [label=\"{}\", fillcolor={}];\n", id, escape(label), color);

    const auto saved = n->saved_tensors();
    for (size_t k = 0; k < saved.size(); ++k) {
      const Tensor& t = saved[k];
      const Storage* s = t.unsafeGetTensorImpl()->storage.get();
      std::string slabel = fmt::format("saved #{}\n{} {}\n{} bytes", k, to_string(t.sizes()), dtype_name(t.dtype()),
                                       tensor_bytes(t));
      if (s && static_cast<int64_t>(s->nbytes) > tensor_bytes(t)) slabel += fmt::format(" (storage {})", s->nbytes);
      out += fmt::format("  n{}_s{} [label=\"{}\", fillcolor=orange];\n", id, k, escape(slabel));
      out += fmt::format("  n{}_s{} -> n{} [style=dashed];\n", id, k, id);
    }
    // Data flows from each producer into this node (torchviz draws the same direction).
    for (const auto& e : n->next_edges())
      if (e.is_valid()) out += fmt::format("  n{} -> n{};\n", ids[e.function.get()], id);
  }
  out += "}\n";
  return out;
}

}  // namespace xgrad::autograd
