// Reverse-mode execution: count each node's dependencies with an iterative DFS, then run
// nodes whose gradients are complete, latest-created first, until none is left. No recursion,
// so the depth of the graph is limited only by memory.
//
// A pass limited to some inputs (grad(), backward(inputs)) first works out which nodes lead to
// them (LibTorch's exec_info) and runs only those: a branch that reaches none of the inputs is
// never applied, and nodes asking should_compute_output() learn that its gradient is unwanted.
//
// Threads: each call keeps its bookkeeping (dependency counts, gradient buffers, ready queue)
// local and runs on the calling thread, so any number of user threads may run backward at once
// (as in LibTorch, where the calling thread drives its own pass). What they can share is nodes:
// each node is run under its own mutex, and a leaf's accumulation under the leaf's.

#include <xgrad/autograd/anomaly_mode.hpp>
#include <xgrad/autograd/engine.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/profiler.hpp>
#include <xgrad/small_vector.hpp>
#include <xgrad/warning.hpp>

#include <cstdint>
#include <exception>
#include <queue>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace xgrad::autograd {

namespace {

struct NodeTask {
  Node* node;
  bool operator<(const NodeTask& o) const { return node->sequence_nr() < o.node->sequence_nr(); }
};

// Gradients arriving at each input slot of a node, summed as they come.
struct InputBuffer {
  variable_list grads;
  void add(size_t slot, Tensor g) {
    if (grads.size() <= slot) grads.resize(slot + 1);
    if (!grads[slot].defined())
      grads[slot] = std::move(g);
    else
      grads[slot] = grads[slot] + g;
  }
};

// A returned gradient must match the shape of what it is the gradient of.
Tensor validate_grad(const Node& producer, const Edge& edge, Tensor g, size_t index) {
  if (!g.defined()) return g;
  const auto& meta = edge.function->output_meta(edge.input_nr);
  XGRAD_CHECK(g.sizes() == IntArrayRef(meta.sizes), ShapeError,
              "Function {} returned an invalid gradient at index {} - got {} but expected shape {} (the sizes "
              "of the tensor it belongs to)",
              producer.name(), index, to_string(g.sizes()), to_string(meta.sizes));
  if (g.dtype() != meta.dtype && is_floating_point(meta.dtype)) g = g.to(meta.dtype);
  return g;
}

// Callbacks queued (by hooks) during the backward pass running on this thread; nested passes
// (a hook calling backward) get their own list.
thread_local std::vector<std::vector<std::function<void()>>*> final_callbacks;

struct CallbackScope {
  std::vector<std::function<void()>> callbacks;
  CallbackScope() { final_callbacks.push_back(&callbacks); }
  ~CallbackScope() { final_callbacks.pop_back(); }
  void run() {
    // Index loop: a callback may queue another.
    for (size_t i = 0; i < callbacks.size(); ++i) {
      auto cb = std::move(callbacks[i]);
      cb();
    }
    callbacks.clear();
  }
};

// What a pass limited to some inputs runs. A node is *needed* (applied) when one of its next
// edges leads to a wanted node; *wanted* (given gradients) when it is needed or a target.
// Inactive for a pass over the whole graph: everything reachable is wanted and needed.
struct ExecInfo {
  bool active = false;
  // The node whose apply() is running: only its own should_compute_output() answers from this
  // pass (a Function recorded inside that apply, under create_graph, is not part of the pass).
  const Node* applying = nullptr;
  std::unordered_set<const Node*> wanted;
  std::unordered_set<const Node*> needed;
  bool wants(const Node* n) const { return !active || wanted.count(n) != 0; }
  bool runs(const Node* n) const { return !active || needed.count(n) != 0; }
};

// The passes running on this thread, innermost last (a hook may start a nested pass); read by
// Node::should_compute_output from inside a node's apply.
thread_local std::vector<const ExecInfo*> running_passes;

struct PassScope {
  explicit PassScope(const ExecInfo& info) { running_passes.push_back(&info); }
  ~PassScope() { running_passes.pop_back(); }
  PassScope(const PassScope&) = delete;
  PassScope& operator=(const PassScope&) = delete;
};

// A node the pass must reach: its gradient is captured (grad()) or retained (a non-leaf input of
// backward(inputs)), and with `apply` the node itself runs (a leaf's AccumulateGrad).
struct Target {
  Node* node;
  bool apply;
};

struct Capture {
  Node* node;
  uint32_t slot;
  size_t output_index;
};

// A pass's bookkeeping per node: its dependency count and gradient buffer.
struct NodeState {
  int dependencies = 0;  // -1 once queued
  InputBuffer buffer;
};

// NodeState by node, in one open-addressed array (linear probing, at most half full). An
// unordered_map allocated a map node per graph node, and small define-by-run steps run a
// backward every step. Entries are never erased; a reference stays valid until the next insert.
class NodeMap {
 public:
  NodeMap() : slots_(size_t{1} << bits_) {}
  std::pair<NodeState*, bool> try_emplace(Node* key) {
    const size_t mask = slots_.size() - 1;
    for (size_t i = slot_of(key);; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.key == key) return {&s.state, false};
      if (s.key != nullptr) continue;
      if ((size_ + 1) * 2 > slots_.size()) {  // a new key: keep the table at most half full
        grow();
        return try_emplace(key);
      }
      s.key = key;
      ++size_;
      return {&s.state, true};
    }
  }
  NodeState& operator[](Node* key) { return *try_emplace(key).first; }
  template <typename F>
  void for_each(F&& f) {
    for (Slot& s : slots_)
      if (s.key != nullptr) f(s.key, s.state);
  }

 private:
  struct Slot {
    Node* key = nullptr;
    NodeState state;
  };
  size_t slot_of(const Node* key) const {  // Fibonacci hashing of the address
    return static_cast<size_t>((reinterpret_cast<uintptr_t>(key) * 0x9E3779B97F4A7C15ull) >> (64 - bits_));
  }
  void grow() {
    std::vector<Slot> old(size_t{1} << (bits_ + 1));
    old.swap(slots_);
    ++bits_;
    size_ = 0;
    for (Slot& s : old)
      if (s.key != nullptr) *try_emplace(s.key).first = std::move(s.state);
  }
  unsigned bits_ = 5;
  size_t size_ = 0;
  std::vector<Slot> slots_;
};

void execute_here(const std::vector<Edge>& roots, variable_list root_grads, bool keep_graph, bool create_graph,
                  const std::vector<Target>* targets, const std::vector<Capture>* captures,
                  variable_list* captured) {
  // 1. Everything reachable from the roots, with dependency counts and, for a limited pass, each
  //    node's consumers.
  NodeMap nodes;
  std::unordered_map<const Node*, std::vector<Node*>> consumers;
  {
    SmallVector<Node*, 32> stack;  // no allocation for a small graph
    for (const auto& r : roots)
      if (nodes.try_emplace(r.function.get()).second) stack.push_back(r.function.get());
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      for (const auto& e : n->next_edges()) {
        if (!e.is_valid()) continue;
        Node* next = e.function.get();
        auto [state, fresh] = nodes.try_emplace(next);
        ++state->dependencies;
        if (targets) consumers[next].push_back(n);
        if (fresh) stack.push_back(next);
      }
    }
  }

  // 2. A limited pass: walk back from the targets through their consumers; each consumer of a
  //    wanted node is needed. Dependencies then count only the edges gradients will travel.
  ExecInfo info;
  if (targets) {
    info.active = true;
    std::vector<const Node*> work;
    for (const auto& t : *targets) {
      info.wanted.insert(t.node);
      if (t.apply) info.needed.insert(t.node);
      work.push_back(t.node);
    }
    while (!work.empty()) {
      const Node* n = work.back();
      work.pop_back();
      auto it = consumers.find(n);
      if (it == consumers.end()) continue;
      for (Node* c : it->second) {
        if (!info.needed.insert(c).second) continue;
        info.wanted.insert(c);
        work.push_back(c);
      }
    }
    consumers.clear();
    nodes.for_each([](Node*, NodeState& st) { st.dependencies = 0; });
    for (const Node* n : info.needed)
      for (const auto& e : n->next_edges())
        if (e.is_valid() && info.wants(e.function.get())) ++nodes[e.function.get()].dependencies;
  }

  AutoGradMode grad_mode(create_graph);
  PassScope pass_scope(info);
  CallbackScope callback_scope;
  std::priority_queue<NodeTask, SmallVector<NodeTask, 32>> ready;
  for (size_t i = 0; i < roots.size(); ++i) {
    Node* n = roots[i].function.get();
    nodes[n].buffer.add(roots[i].input_nr, std::move(root_grads[i]));
  }
  for (const auto& r : roots) {
    Node* n = r.function.get();
    NodeState& st = nodes[n];
    if (st.dependencies == 0 && info.wants(n)) {
      st.dependencies = -1;  // queued
      ready.push({n});
    }
  }

  while (!ready.empty()) {
    Node* node = ready.top().node;
    ready.pop();
    variable_list inputs = std::move(nodes[node].buffer.grads);
    inputs.resize(node->num_inputs());

    // register_hook hooks see (and may replace) the gradient before anything uses it.
    run_tensor_hooks(*node, inputs);
    if (captures) {
      for (const auto& c : *captures)
        if (c.node == node && inputs[c.slot].defined()) (*captured)[c.output_index] = inputs[c.slot];
    }
    // A target that leads to no other target is reached but not run (grad() never writes
    // leaves' .grad; a non-leaf input of backward(inputs) only needs its retained grad).
    const bool run = info.runs(node);
    variable_list outputs;
    {
      // A retained graph may be run by backward passes on several threads at once: the node's
      // own lock serialises its retained grads, apply and release_variables (so the second pass
      // of an unretained graph gets the "second time" error, never freed tensors). Per node, not
      // per engine: passes through different nodes never wait for each other.
      std::lock_guard<std::recursive_mutex> lock(node->mutex());
      for (const auto& [slot, weak] : node->retained_grads) {
        auto impl = weak.lock();
        if (!impl || slot >= inputs.size() || !inputs[slot].defined()) continue;
        impl->grad = impl->grad.defined() ? impl->grad + inputs[slot] : inputs[slot].detach().clone();
      }
      if (run) {
        info.applying = node;
        // Every node (Function nodes, AccumulateGrad, CatNode) is recorded here, by its name.
        {
          profiler::RecordFunction record_function;
          if (profiler::is_enabled()) [[unlikely]]
            record_function.begin(node->name(), inputs);
          try {
            outputs = node->apply(std::move(inputs));
            if (AnomalyMode::is_enabled()) [[unlikely]]
              detail::anomaly_check_backward(*node, outputs);
          } catch (...) {
            info.applying = nullptr;
            if (AnomalyMode::is_enabled()) detail::anomaly_report_backward_error(*node);
            throw;
          }
        }
        info.applying = nullptr;
        if (!keep_graph) node->release_variables();
      }
    }
    if (!run) continue;
    XGRAD_CHECK(outputs.size() == node->num_outputs(), AutogradError, "{}: returned {} gradients for {} inputs",
                node->name(), outputs.size(), node->num_outputs());

    const auto& edges = node->next_edges();
    for (size_t i = 0; i < edges.size(); ++i) {
      const Edge& e = edges[i];
      if (!e.is_valid()) continue;
      Node* next = e.function.get();
      if (!info.wants(next)) continue;  // leads to none of the requested inputs
      NodeState& st = nodes[next];
      if (outputs[i].defined()) st.buffer.add(e.input_nr, validate_grad(*node, e, std::move(outputs[i]), i));
      if (--st.dependencies == 0) {
        st.dependencies = -1;
        ready.push({next});
      }
    }
  }
  callback_scope.run();
}

// Reentrant backward: a node's apply (a custom Function's backward, a hook) may itself call
// backward(), which runs a nested pass on the same thread. Each level costs a few stack frames;
// a Function that recurses through backward thousands of times deep would overflow the stack.
// As LibTorch does, past a depth limit the nested pass moves to a fresh thread (with a fresh
// stack) while the calling thread waits for it; that thread starts counting again from 0.
constexpr int kMaxReentrantDepth = 60;
thread_local int reentrant_depth = 0;

struct DepthScope {
  DepthScope() { ++reentrant_depth; }
  ~DepthScope() { --reentrant_depth; }
  DepthScope(const DepthScope&) = delete;
  DepthScope& operator=(const DepthScope&) = delete;
};

void execute(const std::vector<Edge>& roots, variable_list root_grads, bool keep_graph, bool create_graph,
             const std::vector<Target>* targets, const std::vector<Capture>* captures, variable_list* captured) {
  if (reentrant_depth < kMaxReentrantDepth) {
    DepthScope depth;
    execute_here(roots, std::move(root_grads), keep_graph, create_graph, targets, captures, captured);
    return;
  }
  // The pass is self-contained (its bookkeeping is local to execute_here, which sets its own
  // grad mode); only the error has to come back to this thread. The caller blocks, so nothing
  // runs concurrently with the nested pass that would not have run before it on this thread.
  std::exception_ptr error;
  std::thread worker;
  try {
    worker = std::thread([&] {
      try {
        DepthScope depth;
        execute_here(roots, std::move(root_grads), keep_graph, create_graph, targets, captures, captured);
      } catch (...) {
        error = std::current_exception();
      }
    });
  } catch (const std::system_error& e) {
    XGRAD_THROW(AutogradError,
                "backward: a reentrant backward pass nested more than {} levels deep needs a new thread, and the "
                "system refused one ({}); reduce the nesting of backward() calls inside backward functions",
                kMaxReentrantDepth, e.what());
  }
  worker.join();
  if (error) std::rethrow_exception(error);
}

std::vector<Edge> root_edges(const variable_list& tensors, const char* op) {
  std::vector<Edge> edges;
  for (size_t i = 0; i < tensors.size(); ++i) {
    XGRAD_CHECK(tensors[i].defined(), ValueError, "{}: tensor #{} is undefined", op, i);
    Edge e = gradient_edge(tensors[i]);
    XGRAD_CHECK(e.is_valid(), AutogradError,
                "{}: element {} of tensors does not require grad and does not have a grad_fn (sizes {}); did you "
                "forget requires_grad_() on an input, or compute it under NoGradGuard?",
                op, i, to_string(tensors[i].sizes()));
    edges.push_back(std::move(e));
  }
  return edges;
}

variable_list root_gradients(const variable_list& tensors, const variable_list& grad_tensors, const char* op) {
  XGRAD_CHECK(grad_tensors.empty() || grad_tensors.size() == tensors.size(), ValueError,
              "{}: got {} tensors but {} gradients", op, tensors.size(), grad_tensors.size());
  variable_list grads;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (grad_tensors.empty() || !grad_tensors[i].defined()) {
      XGRAD_CHECK(t.numel() == 1, ValueError,
                  "{}: grad can be implicitly created only for scalar outputs; tensor #{} has sizes {}. Pass a "
                  "gradient of the same sizes, e.g. y.backward(xgrad::ones_like(y))",
                  op, i, to_string(t.sizes()));
      grads.push_back(ones_like(t));
    } else {
      const Tensor& g = grad_tensors[i];
      XGRAD_CHECK(g.sizes() == t.sizes(), ShapeError, "{}: gradient #{} has sizes {} but its tensor has sizes {}", op,
                  i, to_string(g.sizes()), to_string(t.sizes()));
      grads.push_back(g.dtype() == t.dtype() ? g : g.to(t.dtype()));
    }
  }
  return grads;
}

}  // namespace

void queue_callback(std::function<void()> callback) {
  XGRAD_CHECK(!final_callbacks.empty(), AutogradError,
              "queue_callback: no backward pass is running on this thread; call it from a hook during backward");
  XGRAD_CHECK(static_cast<bool>(callback), ValueError, "queue_callback: the callback is empty");
  final_callbacks.back()->push_back(std::move(callback));
}

namespace detail {
const Node* backward_node_running() { return running_passes.empty() ? nullptr : running_passes.back()->applying; }
}  // namespace detail

bool Node::should_compute_output(size_t i) const {
  if (i >= next_edges_.size() || !next_edges_[i].is_valid()) return false;
  if (running_passes.empty() || running_passes.back()->applying != this) return true;
  return running_passes.back()->wants(next_edges_[i].function.get());
}

void backward(const variable_list& tensors, const variable_list& grad_tensors, std::optional<bool> retain_graph,
              bool create_graph, const variable_list& inputs) {
  auto edges = root_edges(tensors, "backward");
  auto grads = root_gradients(tensors, grad_tensors, "backward");
  const bool keep_graph = retain_graph.value_or(create_graph);
  // As LibTorch (TORCH_WARN_ONCE in its engine): a leaf's gradient computed with create_graph
  // holds the graph that leads back to the leaf's accumulator, which holds the leaf: a cycle of
  // owning pointers, freed only when grad() is reset.
  if (create_graph)
    XGRAD_WARN_ONCE(
        "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
        "gradient which can cause a memory leak. Prefer autograd::grad() when creating the graph; if you "
        "need backward(), reset the .grad of your parameters afterwards (x.mutable_grad() = xgrad::Tensor()) to break "
        "the cycle");
  if (inputs.empty()) {
    execute(edges, std::move(grads), keep_graph, create_graph, nullptr, nullptr, nullptr);
    return;
  }
  std::vector<Target> targets;
  std::vector<std::shared_ptr<Node>> keep_alive;  // accumulators created here must outlive execute()
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& in = inputs[i];
    XGRAD_CHECK(in.defined() && in.requires_grad(), AutogradError,
                "backward: element {} of inputs {}; every tensor in inputs must require grad", i,
                in.defined() ? "does not require grad" : "is undefined");
    // A non-leaf input gets its .grad through retain_grad, as in LibTorch (which leaves it set).
    if (!in.is_leaf()) in.retain_grad();
    Edge e = gradient_edge(in);
    targets.push_back({e.function.get(), in.is_leaf()});
    keep_alive.push_back(std::move(e.function));
  }
  execute(edges, std::move(grads), keep_graph, create_graph, &targets, nullptr, nullptr);
}

variable_list grad(const variable_list& outputs, const variable_list& inputs, const variable_list& grad_outputs,
                   std::optional<bool> retain_graph, bool create_graph, bool allow_unused) {
  // Nothing to differentiate with respect to: an error in LibTorch (and PyTorch), not an empty result.
  XGRAD_CHECK(!inputs.empty(), ValueError,
              "grad: grad requires non-empty inputs. Pass the tensors to differentiate with respect to (got {} "
              "outputs and no inputs); to accumulate into every leaf's .grad(), call backward() instead",
              outputs.size());
  auto edges = root_edges(outputs, "grad");
  auto grads = root_gradients(outputs, grad_outputs, "grad");
  std::vector<Capture> captures;
  std::vector<Target> targets;
  std::vector<std::shared_ptr<Node>> keep_alive;  // accumulators created here must outlive execute()
  for (size_t i = 0; i < inputs.size(); ++i) {
    XGRAD_CHECK(inputs[i].defined() && inputs[i].requires_grad(), AutogradError,
                "grad: One of the differentiated Tensors does not require grad (input #{} {}); differentiate only "
                "with respect to tensors that require grad",
                i, inputs[i].defined() ? "does not require grad" : "is undefined");
    Edge e = gradient_edge(inputs[i]);
    keep_alive.push_back(e.function);
    captures.push_back({e.function.get(), e.input_nr, i});
    targets.push_back({e.function.get(), false});
  }
  variable_list result(inputs.size());
  execute(edges, std::move(grads), retain_graph.value_or(create_graph), create_graph, &targets, &captures, &result);
  for (size_t i = 0; i < result.size(); ++i)
    XGRAD_CHECK(allow_unused || result[i].defined(), AutogradError,
                "grad: input #{} (sizes {}) appears to not have been used in the graph. Set allow_unused=True "
                "(allow_unused=true in C++) if this is the desired behavior",
                i, to_string(inputs[i].sizes()));
  return result;
}

}  // namespace xgrad::autograd
