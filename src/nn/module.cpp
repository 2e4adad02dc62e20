// nn::Module: registration, recursive traversal, modes, dtype conversion and PyTorch-style
// printing.

#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/module.hpp>
#include <xgrad/warning.hpp>

#include "core/tensor_internal.hpp"

#include <fmt/ranges.h>

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <typeinfo>
#include <unordered_set>

namespace xgrad::nn {

Module::Module(std::string name) : name_(name), short_name_(std::move(name)) {}

Module::Module() = default;

const std::string& Module::name() const {
  if (!name_) {
    // Computed lazily: typeid(*this) names the most derived class only after construction.
    // The whole demangled name, as LibTorch's name() (c10::demangle).
    const char* mangled = typeid(*this).name();
    int status = 0;
    char* out = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
    name_ = status == 0 && out != nullptr ? std::string(out) : std::string(mangled);
    std::free(out);
  }
  return *name_;
}

const std::string& Module::short_name() const {
  if (!short_name_) {
    const std::string& full = name();
    // Strip the namespaces of the class itself, not those inside its template arguments.
    const auto lt = full.find('<');
    const auto colon = full.rfind("::", lt == std::string::npos ? std::string::npos : lt);
    std::string n = colon == std::string::npos ? full : full.substr(colon + 2);
    if (const auto open = n.find('<'); open != std::string::npos) n.resize(open);
    if (n.size() > 4 && n.compare(n.size() - 4, 4, "Impl") == 0) n.resize(n.size() - 4);
    short_name_ = std::move(n);
  }
  return *short_name_;
}

void Module::check_name(const std::string& name, const char* what) const {
  // `what` is capitalised ("Parameter", "Buffer", "Submodule"): the messages contain LibTorch's
  // text, which LibTorch code (and its tests) match by substring.
  XGRAD_CHECK(!name.empty(), ValueError, "{}: {} name must not be empty", short_name(), what);
  XGRAD_CHECK(name.find('.') == std::string::npos, ValueError,
              "{}: {} name must not contain a dot (got '{}'); dots separate the names of nested modules, so "
              "register a submodule or choose another name",
              short_name(), what, name);
}

Tensor& Module::register_parameter(std::string name, Tensor tensor, bool requires_grad) {
  check_name(name, "Parameter");
  XGRAD_CHECK(!parameters_.contains(name), ValueError, "{}: Parameter '{}' already defined", short_name(), name);
  XGRAD_CHECK(!buffers_.contains(name), ValueError, "{}: '{}' is already a buffer", short_name(), name);
  if (tensor.defined()) {
    XGRAD_CHECK(!requires_grad || tensor.is_floating_point(), TypeError,
                "{}: parameter '{}' of dtype {} cannot require gradients (only floating-point tensors can)",
                short_name(), name, dtype_name(tensor.dtype()));
    tensor.set_requires_grad(requires_grad);
  } else if (requires_grad) {
    // An undefined parameter (PyTorch's None) has nothing to require gradients; LibTorch warns
    // with this text rather than failing, and its users match it.
    XGRAD_WARN(
        "{}: parameter '{}' is an undefined tensor. Ignoring the `requires_grad=true` function parameter; pass "
        "requires_grad=false to register an undefined parameter without this warning",
        short_name(), name);
  }
  return parameters_.insert(std::move(name), std::move(tensor));
}

Tensor& Module::register_buffer(std::string name, Tensor tensor) {
  check_name(name, "Buffer");
  XGRAD_CHECK(!buffers_.contains(name), ValueError, "{}: Buffer '{}' already defined", short_name(), name);
  XGRAD_CHECK(!parameters_.contains(name), ValueError, "{}: '{}' is already a parameter", short_name(), name);
  return buffers_.insert(std::move(name), std::move(tensor));
}

void Module::unregister_module(const std::string& name) {
  XGRAD_CHECK(children_.contains(name), IndexError, "{}: No Module with name `{}` is registered (submodules: [{}])",
              short_name(), name, fmt::join(children_.keys(), ", "));
  children_.erase(name);
}

void Module::apply_to_named_modules(const NamedModuleApplyFunction& fn, const std::string& prefix,
                                    bool include_self, std::vector<const Module*>& seen) const {
  // A module shared by two parents is visited once, as PyTorch's named_modules does.
  if (std::find(seen.begin(), seen.end(), this) != seen.end()) return;
  seen.push_back(this);
  if (include_self) fn(prefix, const_cast<Module&>(*this));
  for (const auto& child : children_) {
    const std::string path = prefix.empty() ? child.key() : prefix + "." + child.key();
    child.value()->apply_to_named_modules(fn, path, true, seen);
  }
}

void Module::apply_to_modules(const ModuleApplyFunction& fn, std::vector<const Module*>& seen) const {
  if (std::find(seen.begin(), seen.end(), this) != seen.end()) return;
  seen.push_back(this);
  fn(const_cast<Module&>(*this));
  for (const auto& child : children_) child.value()->apply_to_modules(fn, seen);
}

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_modules(const std::string& name_prefix,
                                                                        bool include_self) const {
  OrderedDict<std::string, std::shared_ptr<Module>> out("Module");
  std::vector<const Module*> seen;
  apply_to_named_modules(
      [&](const std::string& key, Module& m) {
        // A module not owned by a shared_ptr (a plain local Impl) cannot be handed out as one:
        // a non-owning pointer would dangle once the caller kept it. LibTorch throws here too.
        std::shared_ptr<Module> ptr = m.weak_from_this().lock();
        XGRAD_CHECK(ptr != nullptr, ValueError,
                    "{}.named_modules: It looks like you attempted to retrieve your top-level module as a "
                    "shared_ptr, but it is not owned by a std::shared_ptr; create it with std::make_shared (or a "
                    "module holder such as nn::Linear), or pass include_self=false to modules() / named_modules()",
                    m.short_name());
        out.insert(key, std::move(ptr));
      },
      name_prefix, include_self, seen);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::modules(bool include_self) const {
  return named_modules(std::string(), include_self).values();
}

std::vector<std::shared_ptr<Module>> Module::children() const { return named_children().values(); }

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_children() const {
  // Every registration, as LibTorch's named_children (a container that holds one module twice
  // reports its size and its children consistently); named_modules() deduplicates, as PyTorch.
  return children_;
}

namespace {
// Tensors of every module, dotted keys; a tensor reachable twice (shared parameter) is listed once.
OrderedDict<std::string, Tensor> collect_named(const Module& root, bool recurse,
                                               const OrderedDict<std::string, Tensor>& (*get)(const Module&),
                                               const char* what) {
  OrderedDict<std::string, Tensor> out(what);
  std::unordered_set<const TensorImpl*> seen;
  const auto add = [&](const std::string& prefix, const Module& m) {
    for (const auto& item : get(m)) {
      if (!item.value().defined()) continue;
      if (!seen.insert(item.value().unsafeGetTensorImpl()).second) continue;
      out.insert(prefix.empty() ? item.key() : prefix + "." + item.key(), item.value());
    }
  };
  if (!recurse) {
    add("", root);
    return out;
  }
  // apply() also accepts a root that is not owned by a shared_ptr (a local Impl).
  const_cast<Module&>(root).apply([&](const std::string& key, Module& m) { add(key, m); });
  return out;
}
}  // namespace

// Read access to another module's dictionaries (a friend of Module).
struct ModuleAccess {
  static const OrderedDict<std::string, Tensor>& params(const Module& m) { return m.parameters_; }
  static const OrderedDict<std::string, Tensor>& bufs(const Module& m) { return m.buffers_; }
};

OrderedDict<std::string, Tensor> Module::named_parameters(bool recurse) const {
  return collect_named(*this, recurse, &ModuleAccess::params, "Parameter");
}

std::vector<Tensor> Module::parameters(bool recurse) const { return named_parameters(recurse).values(); }

OrderedDict<std::string, Tensor> Module::named_buffers(bool recurse) const {
  return collect_named(*this, recurse, &ModuleAccess::bufs, "Buffer");
}

std::vector<Tensor> Module::buffers(bool recurse) const { return named_buffers(recurse).values(); }

// apply() works on any module, owned by a shared_ptr or not (it hands out references).
void Module::apply(const ModuleApplyFunction& fn) {
  std::vector<const Module*> seen;
  apply_to_modules(fn, seen);
}

void Module::apply(const NamedModuleApplyFunction& fn, const std::string& name_prefix) {
  std::vector<const Module*> seen;
  apply_to_named_modules(fn, name_prefix, true, seen);
}

void Module::apply(const ConstModuleApplyFunction& fn) const {
  std::vector<const Module*> seen;
  apply_to_modules([&](Module& m) { fn(m); }, seen);
}

void Module::apply(const ConstNamedModuleApplyFunction& fn, const std::string& name_prefix) const {
  std::vector<const Module*> seen;
  apply_to_named_modules([&](const std::string& key, const Module& m) { fn(key, m); }, name_prefix, true, seen);
}

// The pointer forms hand out owning pointers, so they go through named_modules, which checks
// that every module (the root included) is owned by a shared_ptr.
void Module::apply(const ModulePointerApplyFunction& fn) const {
  for (const auto& item : named_modules()) fn(item.value());
}

void Module::apply(const NamedModulePointerApplyFunction& fn, const std::string& name_prefix) const {
  for (const auto& item : named_modules(name_prefix)) fn(item.key(), item.value());
}

void Module::train(bool on) {
  is_training_ = on;
  for (const auto& child : children_) child.value()->train(on);
}

namespace {
// Converts `t` in place: every handle to this TensorImpl (the module's member, the
// registration dictionary, an optimizer's list) sees the new dtype.
void convert_in_place(const Tensor& t, ScalarType dtype) {
  if (!t.defined() || !t.is_floating_point() || t.dtype() == dtype) return;
  Tensor converted;
  {
    NoGradGuard no_grad;
    converted = t.detach().to(dtype).contiguous();
  }
  TensorImpl* impl = t.unsafeGetTensorImpl();
  const TensorImpl* src = converted.unsafeGetTensorImpl();
  impl->storage = src->storage;
  impl->storage_offset = src->storage_offset;
  impl->sizes = src->sizes;
  impl->strides = src->strides;
  impl->numel = src->numel;
  impl->dtype = dtype;
  if (impl->grad.defined()) convert_in_place(impl->grad, dtype);
}
}  // namespace

// ---- clone ----------------------------------------------------------------------------------------

std::shared_ptr<Module> Module::clone(const std::optional<Device>& /*device*/) const {
  XGRAD_THROW(TypeError,
              "{}.clone: clone() has not been implemented for this module; derive it from nn::Cloneable<{}Impl> "
              "(with a reset() that registers its parameters, buffers and submodules) instead of nn::Module",
              short_name(), short_name());
}

void Module::check_clone_device_(const std::optional<Device>& device) const {
  // LibTorch's clone(device) moves the copy's tensors to `device`; the CPU is the only one here.
  if (device) xgrad::detail::check_cpu_device(*device, fmt::format("{}.clone", short_name()).c_str());
}

void Module::clone_from_(Module& other) {
  XGRAD_THROW(TypeError, "{}.clone: cannot clone submodule {} into this module: it is not an nn::Cloneable",
              short_name(), other.short_name());
}

void Module::clear_registrations_for_clone_() {
  parameters_.clear();
  buffers_.clear();
  children_.clear();
}

namespace {
// `dst` takes a copy of `src`'s values: its TensorImpl is repointed at new storage, so every
// handle to `dst` (the module's member, the registration dictionary) sees them. It takes src's
// requires_grad too, so a frozen parameter (e.g. Embedding::from_pretrained's) stays frozen in
// the clone, as PyTorch's deepcopy; no gradient is copied.
void take_copy_of(const Tensor& dst, const Tensor& src) {
  if (!dst.defined() || !src.defined()) return;
  const Tensor copy = src.detach().clone().contiguous();
  TensorImpl* impl = dst.unsafeGetTensorImpl();
  const TensorImpl* from = copy.unsafeGetTensorImpl();
  impl->storage = from->storage;
  impl->storage_offset = from->storage_offset;
  impl->sizes = from->sizes;
  impl->strides = from->strides;
  impl->numel = from->numel;
  impl->dtype = from->dtype;
  if (dst.is_leaf()) dst.requires_grad_(src.requires_grad());
}

template <typename Dict>
void check_same_keys(const Module& m, const Dict& original, const Dict& copy, const char* what) {
  XGRAD_CHECK(original.keys() == copy.keys(), ValueError,
              "{}.clone: after reset() the copy has the {} [{}], the original [{}]; reset() must register every "
              "{} (register them in reset(), not in the constructor)",
              m.short_name(), what, fmt::join(copy.keys(), ", "), fmt::join(original.keys(), ", "), what);
}
}  // namespace

void Module::copy_state_for_clone_(Module& copy) const {
  check_same_keys(*this, parameters_, copy.parameters_, "parameters");
  check_same_keys(*this, buffers_, copy.buffers_, "buffers");
  check_same_keys(*this, children_, copy.children_, "submodules");
  for (const auto& p : parameters_) {
    Tensor& dst = *copy.parameters_.find(p.key());
    XGRAD_CHECK(dst.defined() == p.value().defined(), ValueError,
                "{}.clone: parameter '{}' is {} in the original but {} after reset()", short_name(), p.key(),
                p.value().defined() ? "defined" : "undefined", dst.defined() ? "defined" : "undefined");
    take_copy_of(dst, p.value());
  }
  for (const auto& b : buffers_) {
    Tensor& dst = *copy.buffers_.find(b.key());
    if (!dst.defined() || !b.value().defined()) {
      dst = b.value().defined() ? b.value().detach().clone() : Tensor();
      continue;
    }
    take_copy_of(dst, b.value());
  }
  for (const auto& c : children_) (*copy.children_.find(c.key()))->clone_from_(*c.value());
}

void Module::to(ScalarType dtype, bool /*non_blocking*/) {
  XGRAD_CHECK(is_floating_point(dtype), TypeError,
              "{}.to: modules can only be converted to a floating-point dtype (float32 or float64), got {}",
              short_name(),
              dtype_name(dtype));
  apply([&](Module& m) {
    for (const auto& p : ModuleAccess::params(m)) convert_in_place(p.value(), dtype);
    for (const auto& b : ModuleAccess::bufs(m)) convert_in_place(b.value(), dtype);
  });
}

void Module::to(Device device, bool /*non_blocking*/) {
  xgrad::detail::check_cpu_device(device, (short_name() + ".to").c_str());
}

void Module::to(Device device, ScalarType dtype, bool non_blocking) {
  xgrad::detail::check_cpu_device(device, (short_name() + ".to").c_str());
  to(dtype, non_blocking);
}

void Module::zero_grad(bool set_to_none) {
  // Each module's own parameters, not parameters(), which builds every dotted name (zero_grad
  // runs every step). A parameter shared by two modules is cleared twice, which changes nothing.
  apply([set_to_none](Module& m) {
    for (const auto& item : m.parameters_) xgrad::detail::clear_grad(item.value(), set_to_none);
  });
}

namespace {
// Indents every line after the first by `spaces` (PyTorch's _addindent).
std::string add_indent(const std::string& s, int spaces) {
  std::string out;
  const std::string pad(static_cast<size_t>(spaces), ' ');
  for (char c : s) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}
}  // namespace

std::string Module::repr() const {
  std::ostringstream os;
  pretty_print(os);
  return os.str();
}

void Module::pretty_print(std::ostream& stream) const {
  std::vector<std::string> extra_lines;
  const std::string extra = extra_repr();
  if (!extra.empty()) {
    std::istringstream in(extra);
    for (std::string line; std::getline(in, line);) extra_lines.push_back(line);
  }
  std::vector<std::string> child_lines;
  for (const auto& child : children_)
    child_lines.push_back("(" + child.key() + "): " + add_indent(child.value()->repr(), 2));
  std::string s = short_name() + "(";
  if (!extra_lines.empty() || !child_lines.empty()) {
    if (extra_lines.size() == 1 && child_lines.empty()) {
      s += extra_lines[0];
    } else {
      s += "\n";
      for (const auto* lines : {&extra_lines, &child_lines})
        for (const auto& l : *lines) s += "  " + l + "\n";
    }
  }
  stream << s << ")";
}

std::ostream& operator<<(std::ostream& stream, const Module& module) {
  module.pretty_print(stream);
  return stream;
}

void detail::add_module_context(Error& error, const Module& module) {
  const void* inner = error.context_module_();
  if (inner == &module) return;  // seq(x) runs call_module, then Sequential::forward: one frame
  if (inner == nullptr) {
    // The innermost module: described by its one-line repr (a container by its type alone).
    std::string description = module.short_name();
    if (module.children().empty()) {
      std::ostringstream os;
      module.pretty_print(os);
      description = os.str();
      while (!description.empty() && description.back() == '\n') description.pop_back();
    }
    error.set_module_context_(&module, module.short_name(), std::move(description));
    return;
  }
  // An enclosing module: the inner one is named by its key here ("3", "fc1"), when registered.
  std::string key;
  for (const auto& item : module.named_children())
    if (item.value().get() == inner) {
      key = item.key();
      break;
    }
  error.push_enclosing_module_(&module, module.short_name(), std::move(key));
}

}  // namespace xgrad::nn

// ---- forward hooks -------------------------------------------------------------------------------

namespace xgrad::nn {

void RemovableHandle::remove() noexcept {
  // The registry is gone with its module (and its copies have registries of their own).
  const auto hooks = hooks_.lock();
  if (!hooks) return;
  const auto match = [this](const auto& entry) { return entry.first == id_; };
  std::erase_if(hooks->pre, match);
  std::erase_if(hooks->post, match);
  hooks_.reset();
}

RemovableHandle Module::register_forward_pre_hook(ForwardPreHook hook) {
  XGRAD_CHECK(static_cast<bool>(hook), ValueError, "{}.register_forward_pre_hook: the hook must not be empty",
              short_name());
  const auto& hooks = hooks_.get();
  const uint64_t id = hooks->next_id++;
  hooks->pre.emplace_back(id, std::move(hook));
  return RemovableHandle(hooks, id);
}

RemovableHandle Module::register_forward_hook(ForwardHook hook) {
  XGRAD_CHECK(static_cast<bool>(hook), ValueError, "{}.register_forward_hook: the hook must not be empty",
              short_name());
  const auto& hooks = hooks_.get();
  const uint64_t id = hooks->next_id++;
  hooks->post.emplace_back(id, std::move(hook));
  return RemovableHandle(hooks, id);
}

Tensor Module::call_forward_with_hooks(const Tensor& input, const std::function<Tensor(const Tensor&)>& forward) {
  // Copies of the lists: a hook that removes itself or registers another changes the next call,
  // not this one (Python iterates a snapshot too).
  const auto pre = hooks_.get()->pre;
  const auto post = hooks_.get()->post;
  Tensor x = input;
  for (const auto& [id, hook] : pre) {
    if (auto replaced = hook(*this, x)) {
      XGRAD_CHECK(replaced->defined(), ValueError,
                  "{}: a forward pre-hook returned an undefined tensor; return std::nullopt to keep the input",
                  short_name());
      x = std::move(*replaced);
    }
  }
  Tensor out = forward(x);
  for (const auto& [id, hook] : post) {
    if (auto replaced = hook(*this, x, out)) {
      XGRAD_CHECK(replaced->defined(), ValueError,
                  "{}: a forward hook returned an undefined tensor; return std::nullopt to keep the output",
                  short_name());
      out = std::move(*replaced);
    }
  }
  return out;
}

namespace detail {
void throw_hooks_need_single_tensor_forward(const Module& module) {
  XGRAD_THROW(TypeError,
              "{}: forward hooks are supported for a forward taking one Tensor and returning one; this module is "
              "called with another signature. Remove its hooks or wrap it in a module with a single-Tensor forward",
              module.short_name());
}
}  // namespace detail

}  // namespace xgrad::nn
