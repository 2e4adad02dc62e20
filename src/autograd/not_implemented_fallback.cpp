// The boxed kernels for custom operators without a derivative (LibTorch's
// autogradNotImplementedFallback / autogradNotImplementedInplaceOrViewFallback).
//
// The Autograd kernel:
//   1. reads the schema: which returns are written arguments (`Tensor(a!)`) and which one (at
//      most) is a view (`Tensor(a)`);
//   2. collects the Tensor / Tensor? / Tensor[] arguments that require grad (grad mode on);
//   3. runs the in-place checks on written arguments when anything requires grad (the same
//      check every recorded in-place op of xgrad runs: detail::inplace_records);
//   4. makes a NotImplemented node whose edges lead to the arguments that require grad;
//   5. runs the kernels below it with the autograd keys excluded (the CPU kernel then runs with
//      grad mode off, so its own ops are not recorded);
//   6. gives the floating-point tensor outputs the node as grad_fn: written arguments through
//      autograd::rebase_history (as any in-place op), the others through set_history.
// The ADInplaceOrView kernel bumps the version of written arguments and makes the `Tensor(a)`
// output a view of the first argument (as_strided on it, with the caller's grad mode).

#include <xgrad/library.hpp>

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/autograd/node.hpp>

#include "autograd/views.hpp"
#include "core/library_internal.hpp"
#include "core/tensor_internal.hpp"

namespace xgrad::autograd {

namespace {

// The grad_fn of an operator's outputs when it has no derivative: backward throws.
class NotImplemented final : public Node {
 public:
  explicit NotImplemented(std::string op) : op_(std::move(op)) {}
  std::string name() const override { return "NotImplemented"; }
  variable_list apply(variable_list&& /*grads*/) override {
    XGRAD_THROW(AutogradError,
                "{}: the derivative for {} is not implemented (its Autograd kernel is "
                "autogradNotImplementedFallback()); implement it as an autograd::Function<T> with a backward, or "
                "register a CompositeImplicitAutograd kernel made of differentiable ops",
                op_, op_);
  }

 private:
  std::string op_;
};

// Calls fn(tensor) for each defined tensor in stack value `v` (a Tensor or a Tensor list).
template <typename F>
void for_each_tensor(BoxedValue& v, F&& fn) {
  if (auto* t = std::get_if<Tensor>(&v)) {
    if (t->defined()) fn(*t);
  } else if (auto* list = std::get_if<std::vector<Tensor>>(&v)) {
    for (auto& e : *list)
      if (e.defined()) fn(e);
  }
}

// The schema's alias facts the two kernels share.
struct Aliasing {
  std::vector<bool> written_return;  // per return: `Tensor(a!)`
  int view_return = -1;              // the return annotated `Tensor(a)`, or -1
  int view_argument = -1;            // the argument annotated `Tensor(a)`, or -1
};

Aliasing aliasing_of(const FunctionSchema& s) {
  Aliasing a;
  const std::string name = s.full_name();
  a.written_return.assign(s.returns.size(), false);
  for (size_t i = 0; i < s.returns.size(); ++i) {
    const AliasInfo* info = s.returns[i].alias_info();
    if (!info) continue;
    if (info->isWrite()) {
      a.written_return[i] = true;
      continue;
    }
    XGRAD_CHECK(a.view_return == -1, AutogradError,
                "{}: Expected only a single output in the operator schema to have a non-write alias annotation (i.e., "
                "'Tensor(a)'), found outputs #{} and #{} in \"{}\". Non-composite functions where several outputs "
                "are views of inputs are not supported; register the operator as a CompositeImplicitAutograd kernel "
                "instead",
                name, a.view_return, i, s.str());
    a.view_return = static_cast<int>(i);
  }
  for (size_t i = 0; i < s.arguments.size(); ++i) {
    const AliasInfo* info = s.arguments[i].alias_info();
    if (!info || info->isWrite()) continue;
    XGRAD_CHECK(a.view_argument == -1, AutogradError,
                "{}: Expected only a single input in the operator schema to have a non-write alias annotation (i.e., "
                "'Tensor(a)'), found arguments #{} and #{} in \"{}\"; register the operator as a "
                "CompositeImplicitAutograd kernel instead",
                name, a.view_argument, i, s.str());
    a.view_argument = static_cast<int>(i);
  }
  return a;
}

void not_implemented_autograd(const OperatorHandle& op, DispatchKey key, jit::Stack* stack) {
  const FunctionSchema& schema = op.schema();
  const std::string name = schema.full_name();
  const Aliasing alias = aliasing_of(schema);
  const size_t nargs = schema.arguments.size();
  const size_t start = stack->size() - nargs;  // dispatch checked the stack holds the arguments

  const bool grad_mode = GradMode::is_enabled();
  variable_list requiring;  // arguments that require grad: the node's edges
  variable_list inputs;     // every tensor argument, to recognise one returned as is
  for (size_t i = start; i < stack->size(); ++i) {
    for_each_tensor((*stack)[i], [&](const Tensor& t) {
      inputs.push_back(t);
      if (grad_mode && t.requires_grad()) requiring.push_back(t);
    });
  }
  const bool any_requires_grad = !requiring.empty();
  if (any_requires_grad) {
    for (size_t i = 0; i < nargs; ++i) {
      const AliasInfo* info = schema.arguments[i].alias_info();
      if (!info || !info->isWrite()) continue;
      // Integer tensors carry no gradient; LibTorch leaves their history alone too.
      for_each_tensor((*stack)[start + i], [&](const Tensor& t) {
        if (t.is_floating_point()) xgrad::detail::inplace_records(t, name.c_str(), requiring);
      });
    }
  }

  std::shared_ptr<NotImplemented> fn;
  if (any_requires_grad) {
    fn = std::make_shared<NotImplemented>(name);
    std::vector<Edge> edges;
    edges.reserve(requiring.size());
    for (const auto& t : requiring) edges.push_back(gradient_edge(t));
    fn->set_next_edges(std::move(edges));
  }

  {
    // Below autograd (LibTorch's AutoDispatchBelowAutograd): the backend kernel then runs with
    // grad mode off, so its own ops record nothing, and custom ops it calls skip their autograd
    // kernels. Grad mode stays as it is for the ADInplaceOrView kernel, which makes views.
    xgrad::detail::ExcludeDispatchKeyGuard below(xgrad::detail::kExcludeAutograd);
    op.redispatchBoxed(key, stack);
  }
  if (!any_requires_grad) return;

  const size_t nrets = schema.returns.size();
  XGRAD_CHECK(stack->size() == start + nrets, TypeError,
              "{}: the kernel left {} values where the schema declares {} returns", name, stack->size() - start, nrets);
  for (size_t i = 0; i < nrets; ++i) {
    const bool written = alias.written_return[i];
    const bool view = static_cast<int>(i) == alias.view_return;
    for_each_tensor((*stack)[start + i], [&](Tensor& t) {
      if (!t.is_floating_point()) return;
      if (!written && !view) {
        for (const auto& in : inputs)
          XGRAD_CHECK(!in.is_same(t), AutogradError,
                      "{}: the kernel returned one of its arguments itself as output #{}, which the schema \"{}\" "
                      "does not annotate as an alias; return a new tensor (e.g. clone()), or annotate the schema "
                      "(Tensor(a!) for a written argument, Tensor(a) for a view)",
                      name, i, schema.str());
      }
      const auto nr = static_cast<uint32_t>(fn->num_inputs());
      fn->add_output_meta(t);
      if (written) {
        // Recorded as any in-place op of xgrad: rebase_history gives t the node's output as its
        // new history (keeping hooks and retain_grad right). The node's output is a copy of
        // the values the kernel wrote; they are in t already, so they are not written back
        // (which would count a second write in t's version).
        Tensor result;
        {
          NoGradGuard no_grad;
          result = t.detach().clone();
        }
        set_history(result, fn, nr);
        detail::rebase_history_written(t, std::move(result), name.c_str());
      } else {
        set_history(t, fn, nr);
      }
    });
  }
}

void not_implemented_inplace_or_view(const OperatorHandle& op, DispatchKey key, jit::Stack* stack) {
  const FunctionSchema& schema = op.schema();
  const std::string name = schema.full_name();
  const Aliasing alias = aliasing_of(schema);
  if (alias.view_argument != -1 || alias.view_return != -1)
    XGRAD_CHECK(alias.view_argument == 0 && alias.view_return == 0, AutogradError,
                "{}: the fallback ADInplaceOrView kernel can only create view relationships between the first "
                "argument and the first output, but \"{}\" annotates argument #{} and output #{} (-1: none); register "
                "the operator as a CompositeImplicitAutograd kernel instead",
                name, schema.str(), alias.view_argument, alias.view_return);
  const size_t nargs = schema.arguments.size();
  const size_t start = stack->size() - nargs;

  std::vector<std::pair<Tensor, uint64_t>> written;  // with their versions before the kernel
  for (size_t i = 0; i < nargs; ++i) {
    const AliasInfo* info = schema.arguments[i].alias_info();
    if (!info || !info->isWrite()) continue;
    for_each_tensor((*stack)[start + i], [&](const Tensor& t) { written.emplace_back(t, t._version()); });
  }
  Tensor base;
  if (alias.view_argument == 0) {
    auto* t = std::get_if<Tensor>(&(*stack)[start]);
    XGRAD_CHECK(t != nullptr && t->defined(), AutogradError,
                "{}: argument #0 is annotated as the base of a view (Tensor(a)) but is not a defined Tensor", name);
    base = *t;
  }

  {
    xgrad::detail::ExcludeDispatchKeyGuard below(xgrad::detail::kExcludeInplaceOrView |
                                                 xgrad::detail::kExcludeAutograd);
    op.redispatchBoxed(key, stack);
  }

  // A write the kernel made without counting it (through data_ptr) still counts once.
  for (const auto& [t, version] : written)
    if (t._version() == version) xgrad::detail::bump_version(t);

  if (!base.defined()) return;
  XGRAD_CHECK(stack->size() > start, TypeError, "{}: the kernel returned nothing, the schema declares a view output",
              name);
  auto make_view_of_base = [&](Tensor& out) {
    XGRAD_CHECK(out.unsafeGetTensorImpl()->storage == base.unsafeGetTensorImpl()->storage, AutogradError,
                "{}: output #0 is annotated as a view of argument #0 (Tensor(a)) in \"{}\" but does not share its "
                "memory; return a view (e.g. self.alias(), self.view(...)) or drop the annotation",
                name, schema.str());
    // The kernel made its view with grad mode off (or returned the argument itself): the output
    // becomes a view of the argument made by xgrad's own view op, with the caller's grad mode,
    // so it is a view of it as any other (is_view, its base, no_grad view or not). Its grad_fn,
    // when the argument requires grad, is replaced by the autograd kernel's node.
    out = base.as_strided(out.sizes(), out.strides(), out.storage_offset());
    // Autograd cannot replay this view on a changed base (the operator has no derivative), so
    // writing into it, or into its base before it is used again, is refused as in LibTorch.
    if (auto* meta = out.unsafeGetTensorImpl()->view_meta())
      meta->set_replay_error(fmt::format("Mutating the view {} which does not have a derivative implemented is forbidden",
                                         name));
  };
  for_each_tensor((*stack)[start], make_view_of_base);
}

}  // namespace

CppFunction autogradNotImplementedFallback() { return CppFunction::makeFromBoxedFunction(&not_implemented_autograd); }

CppFunction autogradNotImplementedInplaceOrViewFallback() {
  return CppFunction::makeFromBoxedFunction(&not_implemented_inplace_or_view);
}

}  // namespace xgrad::autograd
