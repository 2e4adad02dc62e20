// The non-template half of Function<T>: wiring outputs into the graph, saving tensors, and
// running a user's backward with checks on what it returns.

#include <xgrad/autograd/anomaly_mode.hpp>
#include <xgrad/autograd/function.hpp>

#include <fmt/format.h>

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>

namespace xgrad::autograd {

void AutogradContext::save_for_backward(variable_list to_save) {
  to_save_ = std::move(to_save);
  has_saved_ = true;
}

void AutogradContext::mark_non_differentiable(const variable_list& outputs) {
  for (const auto& t : outputs)
    if (t.defined()) non_differentiable_.push_back(t.unsafeGetTensorImpl());
}

void AutogradContext::mark_dirty(const variable_list& inputs) {
  // The version bump is what makes nodes that saved these tensors before forward modified them
  // refuse to run (their saved version no longer matches).
  for (const auto& t : inputs) {
    if (!t.defined()) continue;
    ++t.impl()->storage->version;
    dirty_inputs_.push_back(t.unsafeGetTensorImpl());
  }
}

bool AutogradContext::is_dirty_(const Tensor& t) const {
  return std::find(dirty_inputs_.begin(), dirty_inputs_.end(), t.unsafeGetTensorImpl()) != dirty_inputs_.end();
}

std::string AutogradContext::op_name_(const char* fallback) const {
  if (node_ != nullptr) return node_->name();
  return name_ != nullptr ? name_() : std::string(fallback);
}

bool AutogradContext::needs_input_grad(size_t i) const {
  XGRAD_CHECK(i < num_tensor_inputs_, IndexError,
              "needs_input_grad: index {} is out of range: {} has {} tensor inputs (Tensor arguments, "
              "std::optional<Tensor> arguments holding a tensor, and each element of list arguments)",
              i, op_name_("this Function"), num_tensor_inputs_);
  // No graph recorded (no input requires grad): the node has no edges and nothing is needed.
  return node_ != nullptr && node_->should_compute_output(i);
}

bool AutogradContext::needs_input_grad(std::initializer_list<IndexRange> ranges) const {
  bool needed = false;
  for (const auto& [first, second] : ranges) {
    if (first >= second) continue;
    XGRAD_CHECK(second <= num_tensor_inputs_, IndexError,
                "needs_input_grad: range [{}, {}) is out of range: {} has {} tensor inputs", first, second,
                op_name_("this Function"), num_tensor_inputs_);
    // Every range is checked before answering, so a bad range is reported even after a hit.
    for (size_t i = first; i < second && !needed; ++i) needed = needs_input_grad(i);
  }
  return needed;
}

bool AutogradContext::is_non_differentiable_(const Tensor& t) const {
  return std::find(non_differentiable_.begin(), non_differentiable_.end(), t.unsafeGetTensorImpl()) !=
         non_differentiable_.end();
}

void AutogradContext::pack_saved_(const variable_list& outputs, const std::shared_ptr<Node>& self) {
  saved_.clear();
  saved_.reserve(to_save_.size());
  for (auto& t : to_save_) {
    SavedVariable sv;
    if (t.defined()) {
      sv.saved_version = t._version();
      sv.grad_fn = t.grad_fn();
      sv.output_nr = t.output_nr();
      // An output saved by its own node would own that node through grad_fn: a cycle. Keep a
      // graph-free alias of it instead (first-order backward only needs its values).
      const bool is_own_output = t.grad_fn() == self ||
                                 std::any_of(outputs.begin(), outputs.end(), [&](const Tensor& o) {
                                   return o.unsafeGetTensorImpl() == t.unsafeGetTensorImpl();
                                 });
      sv.data = is_own_output ? t.detach() : t;
    }
    saved_.push_back(std::move(sv));
  }
  to_save_.clear();
  // Tensors in the typed state get what saved tensors get: no cycle through an own output, and
  // the version they had now, which state<S>() checks.
  if (state_ && state_->has_tensors) {
    struct Packing {
      const variable_list& outputs;
      const std::shared_ptr<Node>& self;
      std::vector<uint64_t>& versions;
    } packing{outputs, self, state_versions_};
    state_versions_.clear();
    state_->visit_tensors(
        [](Tensor& t, void* arg) {
          auto& p = *static_cast<Packing*>(arg);
          p.versions.push_back(t.defined() ? t._version() : 0);
          if (!t.defined()) return;
          const bool is_own_output = t.grad_fn() == p.self ||
                                     std::any_of(p.outputs.begin(), p.outputs.end(), [&](const Tensor& o) {
                                       return o.unsafeGetTensorImpl() == t.unsafeGetTensorImpl();
                                     });
          if (is_own_output) t = t.detach();
        },
        &packing);
  }
}

void AutogradContext::refuse_second_state_(const std::type_info& want) const {
  XGRAD_THROW(AutogradError,
              "{}: emplace_state<{}> was called, but this context already holds a {}; an op stores one state per "
              "call (put every value backward needs in one struct)",
              op_name_(), detail::demangle(want.name()),
              detail::demangle(state_->type().name()));
}

const AutogradContext::StateHolderBase& AutogradContext::checked_state_(const std::type_info& want) const {
  // The names are built only on failure: backward of every built-in op comes through here.
  const auto op = [this] { return op_name_(); };
  XGRAD_CHECK(state_ != nullptr, AutogradError, "{}: state<{}>() was called, but forward stored no state", op(),
              detail::demangle(want.name()));
  XGRAD_CHECK(state_->type() == want, AutogradError, "{}: state<{}>() was called, but this context holds a {}",
              op(), detail::demangle(want.name()), detail::demangle(state_->type().name()));
  if (!state_->has_tensors) return *state_;
  XGRAD_CHECK(!state_released_, AutogradError,
              "Trying to backward through the graph a second time (or to read saved tensors after they were "
              "freed). Saved tensors are freed by backward(); pass retain_graph=true to the first backward() "
              "if you need to backward through the graph again.");
  // Before pack_saved_ (forward still running, or no graph recorded) nothing was recorded yet.
  if (state_versions_.empty()) return *state_;
  struct Checking {
    const std::vector<uint64_t>& versions;
    size_t i;
  } checking{state_versions_, 0};
  state_->visit_tensors(
      [](Tensor& t, void* arg) {
        auto& c = *static_cast<Checking*>(arg);
        const size_t i = c.i++;
        if (!t.defined() || i >= c.versions.size()) return;
        XGRAD_CHECK(t._version() == c.versions[i], AutogradError,
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    "operation: [{} {}] (tensor #{} of the op's state) is at version {}; expected version {} "
                    "instead. Hint: clone() the tensor before modifying it in place, or modify a copy.",
                    dtype_name(t.dtype()), to_string(t.sizes()), i, t._version(), c.versions[i]);
      },
      &checking);
  return *state_;
}

variable_list AutogradContext::get_saved_variables() const {
  XGRAD_CHECK(!released_flag_, AutogradError,
              "Trying to backward through the graph a second time (or to read saved tensors after they were "
              "freed). Saved tensors are freed by backward(); pass retain_graph=true to the first backward() "
              "if you need to backward through the graph again.");
  // Before pack_saved_ (forward still running, or no graph recorded) the tensors are as given.
  if (saved_.empty() && !to_save_.empty()) return to_save_;
  variable_list out;
  out.reserve(saved_.size());
  for (size_t i = 0; i < saved_.size(); ++i) {
    const auto& sv = saved_[i];
    if (sv.data.defined() && sv.data._version() != sv.saved_version) {
      // PyTorch's words (LibTorch code matches them), naming the node that made the tensor.
      const auto producer = sv.grad_fn.lock();
      XGRAD_THROW(AutogradError,
                  "one of the variables needed for gradient computation has been modified by an inplace "
                  "operation: [{} {}]{} is at version {}; expected version {} instead (saved tensor #{} of {}). "
                  "Hint: clone() the tensor before modifying it in place, or enable anomaly detection "
                  "(xgrad::autograd::DetectAnomalyGuard) to see where the failing node was recorded.",
                  dtype_name(sv.data.dtype()), to_string(sv.data.sizes()),
                  producer ? fmt::format(", which is output {} of {},", sv.output_nr, producer->name()) : "",
                  sv.data._version(), sv.saved_version, i, op_name_());
    }
    out.push_back(sv.data);
  }
  return out;
}

void AutogradContext::release_() {
  saved_.clear();
  saved_.shrink_to_fit();
  // Tensors go (they are the memory); sizes and flags stay, so a node that saved no tensors can
  // run again, as in PyTorch.
  std::erase_if(saved_data, [](const auto& kv) { return kv.second.isTensor(); });
  if (state_ && state_->has_tensors) {
    state_->visit_tensors([](Tensor& t, void*) { t = Tensor(); }, nullptr);
    state_released_ = true;
  }
  if (has_saved_) released_flag_ = true;
}

void AutogradContext::remap_saved_(const std::function<void(Tensor&, uint64_t&)>& f) {
  for (auto& sv : saved_) f(sv.data, sv.saved_version);
  if (state_ && state_->has_tensors && !state_versions_.empty()) {
    struct Remapping {
      const std::function<void(Tensor&, uint64_t&)>& f;
      std::vector<uint64_t>& versions;
      size_t i;
    } remapping{f, state_versions_, 0};
    state_->visit_tensors(
        [](Tensor& t, void* arg) {
          auto& r = *static_cast<Remapping*>(arg);
          const size_t i = r.i++;
          if (i < r.versions.size()) r.f(t, r.versions[i]);
        },
        &remapping);
  }
}

variable_list AutogradContext::saved_tensors_() const {
  variable_list out;
  // Before pack_saved_ (inside forward) the tensors are still in to_save_.
  for (const auto& t : to_save_)
    if (t.defined()) out.push_back(t);
  for (const auto& sv : saved_)
    if (sv.data.defined()) out.push_back(sv.data);
  for (const auto& kv : saved_data)
    if (kv.second.isTensor() && kv.second.toTensor().defined()) out.push_back(kv.second.toTensor());
  if (state_ && state_->has_tensors)
    state_->visit_tensors(
        [](Tensor& t, void* arg) {
          if (t.defined()) static_cast<variable_list*>(arg)->push_back(t);
        },
        &out);
  return out;
}

namespace detail {

std::string demangle(const char* name) {
  int status = 0;
  char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string s = status == 0 && out ? out : name;
  std::free(out);
  // Keep the unqualified name: "(anonymous namespace)::Square" -> "Square".
  const auto colon = s.rfind("::");
  return colon == std::string::npos ? s : s.substr(colon + 2);
}

void wire_view_outputs(const AutogradContext& ctx, variable_list& outputs, const variable_list& inputs, bool custom) {
  // As LibTorch's as_view / _wrap_outputs: with grad mode off, NO_GRAD_MODE; a view a custom
  // Function returns gets IN_CUSTOM_FUNCTION (its backward is the Function's, which an in-place
  // rewrite of the base's history would bypass), also under no_grad.
  CreationMeta made = GradMode::is_enabled() ? CreationMeta::DEFAULT : CreationMeta::NO_GRAD_MODE;
  if (custom) made = CreationMeta::IN_CUSTOM_FUNCTION;
  for (auto& out : outputs) {
    if (!out.defined() || ctx.is_dirty_(out)) continue;
    for (const auto& in : inputs) {
      if (!in.defined() || out.is_same(in) || out.impl()->storage != in.impl()->storage) continue;
      const DifferentiableViewMeta* seen = in.impl()->view_meta();
      // The base of a view of a view is the first view's base, so that an in-place change of
      // any of them rewrites one history.
      const Tensor& base = seen != nullptr ? seen->base() : in;
      const CreationMeta meta = propagate_creation_meta(seen != nullptr ? seen->get_creation_meta() : CreationMeta::DEFAULT, made);
      out.impl()->autograd_meta_ =
          std::make_unique<DifferentiableViewMeta>(base, meta, out.impl()->storage->history_version);
      break;
    }
  }
}

void wire_function_outputs(const std::shared_ptr<Node>& node, AutogradContext& ctx, variable_list& outputs,
                           const variable_list& inputs, bool custom, bool outputs_are_views) {
  const auto same = [](const Tensor& a, const Tensor& b) {
    return a.defined() && a.unsafeGetTensorImpl() == b.unsafeGetTensorImpl();
  };
  // A dirty input becomes an output with this node as its history, which is only sound when the
  // old history was not a leaf's own (its gradient would have nowhere to go) and when the caller
  // gets it back (otherwise it keeps a history that no longer describes its values).
  for (const auto& in : inputs) {
    if (!in.defined() || !ctx.is_dirty_(in)) continue;
    XGRAD_CHECK(!(in.is_leaf() && in.requires_grad()), AutogradError,
                "{}: a leaf Variable that requires grad is being used in an in-place operation (an input of sizes "
                "{} was given to mark_dirty); modify a clone of it, or run the Function under NoGradGuard",
                node->name(), to_string(in.sizes()));
    XGRAD_CHECK(std::any_of(outputs.begin(), outputs.end(), [&](const Tensor& o) { return same(o, in); }),
                AutogradError,
                "{}: an input of sizes {} was given to mark_dirty but not returned by forward; inputs modified in "
                "place must also be outputs",
                node->name(), to_string(in.sizes()));
    // Giving the view this node as history would leave its base with a history that no longer
    // produces its values (LibTorch rewrites the base's with CopySlices here; xgrad does for
    // built-in in-place ops only).
    XGRAD_CHECK(in.impl()->view_meta() == nullptr, AutogradError,
                "{}: an input of sizes {} given to mark_dirty is a view of another tensor; a custom Function "
                "cannot modify a view in place with autograd recording in xgrad. Pass a clone() of the view, or "
                "the base tensor itself",
                node->name(), to_string(in.sizes()));
  }
  // Returning an input unchanged must not rewrite that input's history: return an alias. For a
  // custom Function the alias is a view of the input (IN_CUSTOM_FUNCTION, as LibTorch's
  // _view_as_self_with_no_grad), so an in-place change of it, which would change the input
  // behind its history's back, is refused. A dirty input is the exception: its history is
  // rewritten, as LibTorch's rebase_history.
  std::vector<bool> alias;  // allocated only when an output is an input (rare)
  for (size_t i = 0; i < outputs.size(); ++i) {
    Tensor& out = outputs[i];
    if (!out.defined() || ctx.is_dirty_(out)) continue;
    if (!std::any_of(inputs.begin(), inputs.end(), [&](const Tensor& in) { return same(in, out); })) continue;
    out = custom ? make_view(out, out.sizes(), out.strides(), out.storage_offset()) : out.detach();
    if (alias.empty()) alias.assign(outputs.size(), false);
    alias[i] = !custom;
  }
  if (outputs_are_views) {
    // The plain aliases of a built-in op are no views (as before); the others are.
    variable_list views;
    for (size_t i = 0; i < outputs.size(); ++i) views.push_back(!alias.empty() && alias[i] ? Tensor() : outputs[i]);
    wire_view_outputs(ctx, views, inputs, custom);
  }
  uint32_t nr = 0;
  size_t differentiable = 0;
  for (auto& out : outputs) {
    if (!out.defined()) {
      ++nr;
      continue;
    }
    if (!ctx.is_non_differentiable_(out) && out.is_floating_point()) {
      set_history(out, node, nr);
      ++differentiable;
    }
    ++nr;
  }
  // Several differentiable outputs: an in-place change of one of the views would have to
  // replace this node's backward by the views' own, so it is refused (LibTorch's
  // MULTI_OUTPUT_NODE).
  if (differentiable > 1)
    for (auto& out : outputs)
      if (out.defined() && out.impl()->view_meta() != nullptr && !ctx.is_dirty_(out))
        out.impl()->view_meta()->set_creation_meta(CreationMeta::MULTI_OUTPUT_NODE);
  // Metadata for every output slot, differentiable or not, so grads line up with output_nr.
  for (auto& out : outputs) {
    if (out.defined())
      node->add_output_meta(out);
    else
      node->add_output_meta(make_tensor({0}, kFloat32));
  }
  ctx.pack_saved_(outputs, node);
  if (AnomalyMode::is_enabled()) [[unlikely]]
    anomaly_check_forward(*node, inputs, outputs);
}

void refuse_double_backward(const AutogradContext& ctx, const Node& node, const variable_list& grads) {
  // With neither the incoming gradients nor any input requiring grad, the gradient is a
  // constant: first-order values are then right even under create_graph. (Inputs are asked
  // through needs_input_grad, not the saved tensors: an op may save a graph-free copy.)
  const bool grads_differentiable =
      std::any_of(grads.begin(), grads.end(), [](const Tensor& t) { return t.defined() && t.requires_grad(); });
  bool inputs_differentiable = false;
  for (size_t i = 0; i < node.num_outputs(); ++i) inputs_differentiable |= ctx.needs_input_grad(i);
  if (!grads_differentiable && !inputs_differentiable) return;
  XGRAD_THROW(AutogradError,
              "{}: double backward is not supported: backward was called with create_graph=true through this op, "
              "whose gradient would not be differentiable. Second derivatives through it would be wrong; call "
              "backward without create_graph, or compute the function's gradient from ops that support it",
              node.name());
}

variable_list run_function_backward(AutogradContext& ctx, const Node& node, variable_list&& grads,
                                    const std::vector<bool>& is_variable_input,
                                    variable_list (*backward)(AutogradContext*, variable_list),
                                    bool skip_without_grads) {
  // Built-in ops: no gradient in, no gradient out. An undefined gradient stays undefined through
  // the graph (LibTorch's generated nodes do the same), instead of becoming zeros that would
  // make a leaf's grad() defined; backward is linear in its gradients, so skipping it loses
  // nothing. A user Function's backward runs anyway, with zeros (LibTorch's CppNode, PyTorch's
  // test_materialize_grads): it may have side effects or not be linear. With materialize_grads
  // off the user asked to see undefined gradients, so backward runs in both cases.
  if (skip_without_grads && ctx.materialize_grads_() &&
      std::none_of(grads.begin(), grads.end(), [](const Tensor& g) { return g.defined(); }))
    return variable_list(node.num_outputs());
  if (ctx.materialize_grads_()) {
    for (size_t i = 0; i < grads.size(); ++i) {
      if (!grads[i].defined()) {
        const auto& meta = node.output_meta(i);
        grads[i] = zeros(meta.sizes, is_floating_point(meta.dtype) ? meta.dtype : kFloat32);
      }
    }
  }
  variable_list result = backward(&ctx, std::move(grads));
  const size_t num_slots = is_variable_input.size();
  const size_t num_tensors = static_cast<size_t>(std::count(is_variable_input.begin(), is_variable_input.end(), true));
  // xgrad's shorter form (the built-in ops use it): exactly one gradient per tensor input.
  if (result.size() == num_tensors) return result;
  // LibTorch's form: one per argument slot; more is allowed when the extras are all undefined.
  if (result.size() > num_slots &&
      std::all_of(result.begin() + static_cast<std::ptrdiff_t>(num_slots), result.end(),
                  [](const Tensor& g) { return !g.defined(); }))
    result.resize(num_slots);
  XGRAD_CHECK(result.size() == num_slots, AutogradError,
              "{}: backward returned an incorrect number of gradients: {}, expected {} (one per forward argument, "
              "one per element of a tensor list argument, Tensor() for non-tensor arguments; extra trailing "
              "Tensor() entries are ignored) or {} (one per tensor input)",
              node.name(), result.size(), num_slots, num_tensors);
  variable_list picked;
  picked.reserve(num_tensors);
  for (size_t i = 0; i < num_slots; ++i) {
    if (is_variable_input[i]) {
      picked.push_back(std::move(result[i]));
      continue;
    }
    XGRAD_CHECK(!result[i].defined(), AutogradError,
                "{}: backward returned a defined gradient at position {}, but that forward argument is not a tensor "
                "input (a non-tensor argument or an empty std::optional<Tensor>); return Tensor() there",
                node.name(), i);
  }
  return picked;
}

}  // namespace detail

}  // namespace xgrad::autograd
