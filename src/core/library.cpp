// The custom-operator registry (LibTorch's TORCH_LIBRARY / c10::Dispatcher).
//
// How it works:
//  - One registry maps "ns::name.overload" to an OperatorEntry: the parsed schema (from def())
//    and, per dispatch key, the kernels registered so far (the last one wins; removing it brings
//    back the one before, as LibTorch's "overriding a previously registered kernel").
//  - Every registration returns an undo action, which its Library keeps and runs when destroyed.
//  - A call runs the first applicable kernel of: Autograd (AutogradCPU first), ADInplaceOrView,
//    the backend (CPU, else CompositeExplicitAutograd, else CompositeImplicitAutograd). Keys the
//    thread excludes (below a boxed Autograd kernel) are skipped. A boxed kernel calls
//    redispatchBoxed to run the rest.
//  - A typed call whose kernel chain is just a typed backend kernel with the caller's exact C++
//    signature calls it directly; any other call boxes its arguments on a stack. Every typed
//    kernel's types were checked against the schema when registered, and every typed handle's
//    when made, so a mismatch is a TypeError there, never a call through a wrong pointer type.

#include <xgrad/library.hpp>

#include "core/library_internal.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include <xgrad/autograd/function.hpp>  // detail::demangle
#include <xgrad/autograd/grad_mode.hpp>

namespace xgrad {

const char* toString(DispatchKey k) {
  switch (k) {
    case DispatchKey::Undefined: return "Undefined";
    case DispatchKey::CPU: return "CPU";
    case DispatchKey::CUDA: return "CUDA";
    case DispatchKey::ADInplaceOrView: return "ADInplaceOrView";
    case DispatchKey::AutogradOther: return "AutogradOther";
    case DispatchKey::AutogradCPU: return "AutogradCPU";
    case DispatchKey::AutogradCUDA: return "AutogradCUDA";
    case DispatchKey::Autograd: return "Autograd";
    case DispatchKey::CompositeImplicitAutograd: return "CompositeImplicitAutograd";
    case DispatchKey::CompositeExplicitAutograd: return "CompositeExplicitAutograd";
  }
  return "?";
}

// ---- schema parsing -----------------------------------------------------------------------------

namespace {

// The schema types parse_schema accepts (LibTorch's schema type names); SymInt reads as int.
const std::set<std::string>& known_types() {
  static const std::set<std::string> k{"Tensor", "int",    "SymInt", "float",        "bool",      "str",
                                       "Scalar", "ScalarType", "Layout", "Device", "MemoryFormat", "Generator",
                                       "Dimname"};
  return k;
}

class SchemaParser {
 public:
  explicit SchemaParser(const std::string& s) : s_(s) {}

  FunctionSchema parse() {
    FunctionSchema f;
    skip_ws();
    f.name = ident("an operator name");
    if (peek() == ':') {
      expect("::");
      f.name += "::" + ident("an operator name after '::'");
    }
    if (peek() == '.') {
      ++pos_;
      f.overload_name = ident("an overload name after '.'");
    }
    skip_ws();
    if (at_end()) return f;  // a bare name
    expect("(");
    f.arguments = arg_list(')', /*is_return=*/false);
    skip_ws();
    expect("->");
    skip_ws();
    if (peek() == '(') {
      ++pos_;
      f.returns = arg_list(')', /*is_return=*/true);
    } else {
      f.returns.push_back(argument(/*is_return=*/true));
    }
    skip_ws();
    if (!at_end()) fail("the end of the schema");
    std::set<std::string> names;
    for (const auto& a : f.arguments)
      XGRAD_CHECK(names.insert(a.name).second, ValueError, "parse_schema: argument name '{}' appears twice in \"{}\"",
                  a.name, s_);
    return f;
  }

 private:
  [[noreturn]] void fail(const char* expected) const {
    XGRAD_THROW(ValueError, "parse_schema: expected {} at position {} of \"{}\" (found {})", expected, pos_, s_,
                at_end() ? std::string("the end") : "'" + std::string(1, s_[pos_]) + "'");
  }
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  void skip_ws() {
    while (!at_end() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  void expect(const char* tok) {
    const std::string t(tok);
    if (s_.compare(pos_, t.size(), t) != 0) fail(("'" + t + "'").c_str());
    pos_ += t.size();
  }
  std::string ident(const char* what) {
    const size_t start = pos_;
    if (at_end() || !(std::isalpha(static_cast<unsigned char>(peek())) || peek() == '_')) fail(what);
    while (!at_end() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_')) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  std::vector<Argument> arg_list(char close, bool is_return) {
    std::vector<Argument> out;
    skip_ws();
    if (peek() == close) {
      ++pos_;
      return out;
    }
    bool kwarg_only = false;
    while (true) {
      skip_ws();
      if (!is_return && peek() == '*') {
        XGRAD_CHECK(!kwarg_only, ValueError, "parse_schema: a second '*' at position {} of \"{}\"", pos_, s_);
        ++pos_;
        kwarg_only = true;
      } else {
        out.push_back(argument(is_return));
        out.back().kwarg_only = kwarg_only;
      }
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == close) {
        ++pos_;
        return out;
      }
      fail(is_return ? "',' or ')' in the returns" : "',' or ')' in the arguments");
    }
  }

  Argument argument(bool is_return) {
    Argument a;
    skip_ws();
    const size_t type_pos = pos_;
    std::string base = ident("a type");
    if (!known_types().count(base)) {
      pos_ = type_pos;
      XGRAD_THROW(ValueError,
                  "parse_schema: unknown type '{}' at position {} of \"{}\"; known types: Tensor, int, SymInt, float, "
                  "bool, str, Scalar, ScalarType, Layout, Device, MemoryFormat, Generator, Dimname (with ?, [] or "
                  "[N] after them)",
                  base, type_pos, s_);
    }
    if (base == "SymInt") base = "int";
    a.type = base;
    // Suffixes in any order: an alias annotation "(a)" / "(a!)", a list "[]" / "[N]", "?".
    while (true) {
      if (peek() == '(') {
        if (a.alias) fail("one alias annotation only");
        ++pos_;
        skip_ws();
        AliasInfo info;
        info.set = ident("an alias set name (as in Tensor(a) or Tensor(a!))");
        skip_ws();
        if (peek() == '!') {
          info.is_write = true;
          ++pos_;
        }
        skip_ws();
        expect(")");
        a.alias = info;
      } else if (peek() == '[') {
        ++pos_;
        while (!at_end() && std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
        expect("]");
        a.type += "[]";
      } else if (peek() == '?') {
        ++pos_;
        a.type += "?";
      } else {
        break;
      }
    }
    skip_ws();
    if (!at_end() && (std::isalpha(static_cast<unsigned char>(peek())) || peek() == '_')) a.name = ident("a name");
    if (!is_return && a.name.empty()) fail("an argument name");
    skip_ws();
    if (!is_return && peek() == '=') {
      ++pos_;
      skip_ws();
      const size_t start = pos_;
      int depth = 0;
      char quote = 0;
      for (; !at_end(); ++pos_) {
        const char c = s_[pos_];
        if (quote) {
          if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
          quote = c;
        } else if (c == '[' || c == '(') {
          ++depth;
        } else if (c == ']' || (c == ')' && depth > 0)) {
          --depth;
        } else if ((c == ',' || c == ')') && depth == 0) {
          break;
        }
      }
      std::string v = s_.substr(start, pos_ - start);
      while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
      if (v.empty() || quote || depth != 0) fail("a default value");
      a.default_value = v;
    }
    return a;
  }

  const std::string& s_;
  size_t pos_ = 0;
};

std::string type_with_alias(const Argument& a) {
  if (!a.alias) return a.type;
  size_t n = 0;
  while (n < a.type.size() && (std::isalnum(static_cast<unsigned char>(a.type[n])) || a.type[n] == '_')) ++n;
  return a.type.substr(0, n) + "(" + a.alias->set + (a.alias->is_write ? "!" : "") + ")" + a.type.substr(n);
}

}  // namespace

FunctionSchema parse_schema(const std::string& schema) { return SchemaParser(schema).parse(); }

std::string FunctionSchema::str() const {
  std::string s = full_name() + "(";
  bool kw = false;
  for (size_t i = 0; i < arguments.size(); ++i) {
    const auto& a = arguments[i];
    if (i) s += ", ";
    if (a.kwarg_only && !kw) {
      s += "*, ";
      kw = true;
    }
    s += type_with_alias(a) + " " + a.name;
    if (a.default_value) s += "=" + *a.default_value;
  }
  s += ") -> ";
  if (returns.size() == 1 && returns[0].name.empty()) return s + type_with_alias(returns[0]);
  s += "(";
  for (size_t i = 0; i < returns.size(); ++i) {
    if (i) s += ", ";
    s += type_with_alias(returns[i]);
    if (!returns[i].name.empty()) s += " " + returns[i].name;
  }
  return s + ")";
}

// ---- boxing helpers -----------------------------------------------------------------------------

namespace detail {

namespace {
const char* boxed_type_name(const BoxedValue& v) {
  static constexpr const char* kNames[] = {"None", "Tensor", "Tensor[]", "int",  "float",
                                           "bool", "str",    "Scalar",   "int[]", "float[]"};
  static_assert(std::size(kNames) == std::variant_size_v<BoxedValue>);
  return kNames[v.index()];
}
}  // namespace

void throw_boxed_type(const BoxedValue& v, const char* want) {
  XGRAD_THROW(TypeError, "boxed call: expected a value of type {} on the stack, found {}", want, boxed_type_name(v));
}

void check_return_count(const jit::Stack& s, size_t want, const char* what) {
  XGRAD_CHECK(s.size() == want, TypeError,
              "call: the operator returned {} values, but the C++ return type ({}) takes {}; the kernel does not "
              "return what its schema says",
              s.size(), what, want);
}

void check_reference_return(bool found) {
  XGRAD_CHECK(found, TypeError,
              "call: the C++ signature returns Tensor&, but the kernel returned a tensor that is none of the Tensor "
              "arguments; return Tensor (a value) instead");
}

// ---- the registry -------------------------------------------------------------------------------

struct OperatorEntry {
  std::string name;  // "ns::name.overload"
  optional<FunctionSchema> schema;
  std::string def_where;
  // Kernels per key, in registration order (the last one is used), with their registration ids.
  std::map<DispatchKey, std::vector<std::pair<uint64_t, std::shared_ptr<const CppFunction>>>> kernels;
};

namespace {

thread_local uint8_t tls_excluded = 0;

struct Registry {
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<OperatorEntry>> ops;
  std::map<std::string, std::string> def_namespaces;  // namespace -> where its DEF library was made
  uint64_t next_id = 1;
};

Registry& registry() {
  // Never destroyed: static Library objects of other translation units deregister at exit, in
  // an order relative to this one that the language does not fix.
  static Registry* r = new Registry();
  return *r;
}

std::shared_ptr<OperatorEntry> entry_locked(Registry& r, const std::string& name) {
  auto& e = r.ops[name];
  if (!e) {
    e = std::make_shared<OperatorEntry>();
    e->name = name;
  }
  return e;
}

std::shared_ptr<const CppFunction> latest(const OperatorEntry& e, DispatchKey k) {
  auto it = e.kernels.find(k);
  if (it == e.kernels.end() || it->second.empty()) return nullptr;
  return it->second.back().second;
}

// The kernels a call may run, in order (null where none applies).
struct Chain {
  std::shared_ptr<const CppFunction> autograd, inplace_or_view, backend;
  DispatchKey autograd_key = DispatchKey::Autograd, backend_key = DispatchKey::CPU;
};

Chain chain_of(const OperatorEntry& e) {
  Chain c;
  if (!(tls_excluded & kExcludeAutograd)) {
    c.autograd = latest(e, DispatchKey::AutogradCPU);
    c.autograd_key = DispatchKey::AutogradCPU;
    if (!c.autograd) {
      c.autograd = latest(e, DispatchKey::Autograd);
      c.autograd_key = DispatchKey::Autograd;
    }
  }
  if (!(tls_excluded & kExcludeInplaceOrView)) c.inplace_or_view = latest(e, DispatchKey::ADInplaceOrView);
  for (DispatchKey k : {DispatchKey::CPU, DispatchKey::CompositeExplicitAutograd, DispatchKey::CompositeImplicitAutograd}) {
    if ((c.backend = latest(e, k))) {
      c.backend_key = k;
      break;
    }
  }
  return c;
}

// Which types a typed kernel or call has, against the schema's.
std::vector<std::string> schema_types(const std::vector<Argument>& args) {
  std::vector<std::string> t;
  for (const auto& a : args) t.push_back(a.type);
  return t;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

void check_kernel_types(const FunctionSchema& schema, const CppFunction& f, DispatchKey k) {
  if (f.is_boxed_only()) return;
  const auto args = schema_types(schema.arguments);
  const auto rets = schema_types(schema.returns);
  XGRAD_CHECK(args == f.arg_types_ && rets == f.ret_types_, TypeError,
              "impl: the {} kernel of {} takes ({}) and returns ({}), but its schema \"{}\" says ({}) -> ({}); make the "
              "C++ function's types match the schema (Tensor: const Tensor&, Tensor?: const optional<Tensor>&, "
              "Tensor[]: TensorList, int: int64_t, float: double, str: std::string, int[]: IntArrayRef)",
              toString(k), schema.full_name(), join(f.arg_types_), join(f.ret_types_), schema.str(), join(args),
              join(rets));
}

void run_kernel(const OperatorHandle& op, const CppFunction& f, DispatchKey k, jit::Stack* stack) {
  if (f.boxed_fn_)
    f.boxed_fn_(op, k, stack);
  else
    f.boxed_functor_(f.unboxed_.functor.get(), stack);
}

std::string qualified_help(const std::string& full) {
  const auto sep = full.find("::");
  const std::string ns = sep == std::string::npos ? std::string("ns") : full.substr(0, sep);
  std::string op = sep == std::string::npos ? full : full.substr(sep + 2);
  return fmt::format("TORCH_LIBRARY_IMPL({}, CPU, m) {{ m.impl(\"{}\", TORCH_FN(my_kernel)); }}", ns, op);
}

}  // namespace

std::shared_ptr<const CppFunction> direct_kernel(const OperatorEntry& op, const std::type_info& sig) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (!op.schema) return nullptr;
  const Chain c = chain_of(op);
  if (c.autograd || c.inplace_or_view || !c.backend || c.backend->is_boxed_only()) return nullptr;
  if (*c.backend->unboxed_.signature != sig) return nullptr;
  return c.backend;
}

ExcludeDispatchKeyGuard::ExcludeDispatchKeyGuard(uint8_t keys) : previous_(tls_excluded) { tls_excluded |= keys; }
ExcludeDispatchKeyGuard::~ExcludeDispatchKeyGuard() { tls_excluded = previous_; }

}  // namespace detail

// ---- OperatorHandle / Dispatcher --------------------------------------------------------------

const FunctionSchema& OperatorHandle::schema() const {
  auto& r = detail::registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  XGRAD_CHECK(entry->schema.has_value(), ValueError,
              "OperatorHandle::schema: operator {} has no schema (its TORCH_LIBRARY / Library with def() was "
              "destroyed, or it was never defined)",
              entry->name);
  // Stable while the handle lives: a schema is only reset by deregistration, which the caller
  // must not race with a call (as in LibTorch).
  return *entry->schema;
}

bool OperatorHandle::hasSchema() const {
  auto& r = detail::registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return entry->schema.has_value();
}

std::string OperatorHandle::operator_name() const { return entry->name; }

void OperatorHandle::check_signature(const std::vector<std::string>& args, const std::vector<std::string>& rets,
                                     const std::type_info& sig) const {
  const FunctionSchema& s = schema();
  const auto want_args = detail::schema_types(s.arguments);
  const auto want_rets = detail::schema_types(s.returns);
  XGRAD_CHECK(args == want_args && rets == want_rets, TypeError,
              "typed<{}>: tried to access or call operator {} with a wrong signature: the C++ type takes ({}) and "
              "returns ({}), its schema \"{}\" says ({}) -> ({})",
              autograd::detail::demangle(sig.name()), entry->name, detail::join(args), detail::join(rets), s.str(),
              detail::join(want_args), detail::join(want_rets));
}

namespace {
enum class Step { Autograd, InplaceOrView, Backend };

void dispatch_from(const OperatorHandle& op, Step first, jit::Stack* stack) {
  const auto& e = *op.entry_();
  detail::Chain c;
  size_t nargs = 0;
  {
    auto& r = detail::registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    XGRAD_CHECK(e.schema.has_value(), ValueError,
                "{}: the operator has no schema (the Library that defined it was destroyed, or it was never "
                "defined with def())",
                e.name);
    c = detail::chain_of(e);
    nargs = e.schema->arguments.size();
  }
  XGRAD_CHECK(stack->size() >= nargs, ValueError, "{}: the call has {} arguments on the stack, the schema takes {}",
              e.name, stack->size(), nargs);
  if (first == Step::Autograd && c.autograd) return detail::run_kernel(op, *c.autograd, c.autograd_key, stack);
  if (first != Step::Backend && c.inplace_or_view)
    return detail::run_kernel(op, *c.inplace_or_view, DispatchKey::ADInplaceOrView, stack);
  XGRAD_CHECK(c.backend != nullptr, ValueError,
              "{}: no CPU kernel registered (could not run the operator for CPU tensors); register one with {}",
              e.name, detail::qualified_help(e.name));
  if (detail::tls_excluded & detail::kExcludeAutograd) {
    // Below an autograd kernel (LibTorch's AutoDispatchBelowAutograd): xgrad's built-in ops know
    // only grad mode, so the kernel runs with it off, and records nothing of its own.
    NoGradGuard no_grad;
    detail::run_kernel(op, *c.backend, c.backend_key, stack);
    return;
  }
  detail::run_kernel(op, *c.backend, c.backend_key, stack);
}
}  // namespace

void OperatorHandle::callBoxed(jit::Stack* stack) const { dispatch_from(*this, Step::Autograd, stack); }

void OperatorHandle::redispatchBoxed(DispatchKey after, jit::Stack* stack) const {
  switch (after) {
    case DispatchKey::Autograd:
    case DispatchKey::AutogradCPU:
      return dispatch_from(*this, Step::InplaceOrView, stack);
    case DispatchKey::ADInplaceOrView:
      return dispatch_from(*this, Step::Backend, stack);
    default:
      XGRAD_THROW(ValueError, "{}: redispatchBoxed after {}: only Autograd, AutogradCPU and ADInplaceOrView kernels "
                              "have kernels below them",
                  entry->name, toString(after));
  }
}

Dispatcher& Dispatcher::singleton() {
  static Dispatcher d;
  return d;
}

optional<OperatorHandle> Dispatcher::findSchema(const std::string& name, const std::string& overload_name) const {
  auto& r = detail::registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.ops.find(overload_name.empty() ? name : name + "." + overload_name);
  if (it == r.ops.end() || !it->second->schema) return nullopt;
  return OperatorHandle(it->second);
}

OperatorHandle Dispatcher::findSchemaOrThrow(const char* name, const char* overload_name) const {
  auto h = findSchema(name, overload_name);
  if (!h) {
    const std::string full = std::string(name) + (*overload_name ? std::string(".") + overload_name : "");
    XGRAD_THROW(ValueError,
                "Could not find schema for {}: no live Library defines it; define it with TORCH_LIBRARY(ns, m) {{ "
                "m.def(\"{}(...) -> ...\"); }} (the name is \"ns::op\", the overload name separate)",
                full, full);
  }
  return *h;
}

std::vector<std::string> Dispatcher::operator_names() const {
  auto& r = detail::registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> v;
  for (const auto& [n, e] : r.ops)
    if (e->schema) v.push_back(n);
  std::sort(v.begin(), v.end());
  return v;
}

// ---- Library ------------------------------------------------------------------------------------

Library::Library(Kind kind, std::string ns, optional<DispatchKey> k, const char* file, uint32_t line)
    : kind_(kind), ns_(std::move(ns)), key_(k), where_(fmt::format("{}:{}", file ? file : "?", line)) {
  XGRAD_CHECK(kind_ != IMPL || key_.has_value(), ValueError,
              "Library: an IMPL library for namespace {} needs a dispatch key ({})", ns_, where_);
  XGRAD_CHECK(kind_ == IMPL || !key_.has_value(), ValueError,
              "Library: a DEF or FRAGMENT library for namespace {} takes no dispatch key ({})", ns_, where_);
  if (kind_ == DEF) {
    auto& r = detail::registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto [it, inserted] = r.def_namespaces.emplace(ns_, where_);
    XGRAD_CHECK(inserted, ValueError,
                "Only a single TORCH_LIBRARY can be used to register the namespace {}; it was registered at {} and "
                "again at {}. Use TORCH_LIBRARY_FRAGMENT for more definitions in that namespace",
                ns_, it->second, where_);
    const std::string ns_copy = ns_;
    registrations_.push_back([ns_copy] {
      auto& reg = detail::registry();
      std::lock_guard<std::mutex> l(reg.mutex);
      reg.def_namespaces.erase(ns_copy);
    });
  }
}

Library::Library(Library&& other) noexcept
    : kind_(other.kind_),
      ns_(std::move(other.ns_)),
      key_(other.key_),
      where_(std::move(other.where_)),
      registrations_(std::move(other.registrations_)) {
  other.registrations_.clear();
}

Library& Library::operator=(Library&& other) noexcept {
  if (this != &other) {
    for (auto it = registrations_.rbegin(); it != registrations_.rend(); ++it) (*it)();
    kind_ = other.kind_;
    ns_ = std::move(other.ns_);
    key_ = other.key_;
    where_ = std::move(other.where_);
    registrations_ = std::move(other.registrations_);
    other.registrations_.clear();
  }
  return *this;
}

Library::~Library() {
  for (auto it = registrations_.rbegin(); it != registrations_.rend(); ++it) (*it)();
}

std::string Library::qualify(const std::string& name) const {
  const auto sep = name.find("::");
  if (sep == std::string::npos) return ns_ + "::" + name;
  XGRAD_CHECK(name.substr(0, sep) == ns_, ValueError,
              "Library ({}): explicitly provided namespace ({}) in \"{}\" does not match the namespace of the "
              "enclosing library ({}); leave the namespace out or register it in a library for {}",
              where_, name.substr(0, sep), name, ns_, name.substr(0, sep));
  return name;
}

Library& Library::def(const std::string& schema) & {
  XGRAD_CHECK(kind_ != IMPL, ValueError,
              "Library::def(\"{}\"): def() is not allowed in a TORCH_LIBRARY_IMPL block ({}, key {}); declare "
              "operators in TORCH_LIBRARY({}, m)",
              schema, where_, toString(*key_), ns_);
  FunctionSchema s = parse_schema(schema);
  XGRAD_CHECK(schema.find('(') != std::string::npos, ValueError,
              "Library::def(\"{}\"): a schema needs its arguments and returns, e.g. \"{}(Tensor self) -> Tensor\"",
              schema, schema);
  s.name = qualify(s.name);
  const std::string full = s.full_name();
  auto& r = detail::registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto e = detail::entry_locked(r, full);
  XGRAD_CHECK(!e->schema, ValueError,
              "Library::def: tried to register operator {} with the same name and overload name twice; each "
              "overload's schema should only be registered with a single call to def(). Duplicate registration: {}. "
              "Original registration: {}",
              full, where_, e->def_where);
  // Kernels registered before the schema must agree with it.
  for (const auto& [k, list] : e->kernels)
    for (const auto& kf : list) detail::check_kernel_types(s, *kf.second, k);
  e->schema = std::move(s);
  e->def_where = where_;
  registrations_.push_back([e] {
    auto& reg = detail::registry();
    std::lock_guard<std::mutex> l(reg.mutex);
    e->schema.reset();
    e->def_where.clear();
  });
  return *this;
}

Library& Library::def(const std::string& name_or_schema, CppFunction f) & {
  if (name_or_schema.find('(') != std::string::npos) {
    def(name_or_schema);
    const FunctionSchema s = parse_schema(name_or_schema);
    return impl(s.full_name(), DispatchKey::CompositeImplicitAutograd, std::move(f));
  }
  // A bare name: the schema comes from the function's types (LibTorch infers it the same way).
  XGRAD_CHECK(!f.is_boxed_only(), ValueError,
              "Library::def(\"{}\", f): a boxed function has no C++ types to infer the schema from; give the full "
              "schema",
              name_or_schema);
  std::string schema = name_or_schema + "(";
  for (size_t i = 0; i < f.arg_types_.size(); ++i) schema += fmt::format("{}{} _{}", i ? ", " : "", f.arg_types_[i], i);
  schema += ") -> (" + detail::join(f.ret_types_) + ")";
  def(schema);
  return impl(name_or_schema, DispatchKey::CompositeImplicitAutograd, std::move(f));
}

Library& Library::impl(const std::string& name, CppFunction f) & {
  const DispatchKey k = f.key_ ? *f.key_ : key_ ? *key_ : DispatchKey::CompositeImplicitAutograd;
  return impl(name, k, std::move(f));
}

Library& Library::impl(const std::string& name, DeviceType device, CppFunction f) & {
  XGRAD_CHECK(device == DeviceType::CPU || device == DeviceType::CUDA, ValueError,
              "Library::impl(\"{}\"): kernels can be registered for the CPU and CUDA devices, not {}", name,
              static_cast<int>(device));
  return impl(name, device == DeviceType::CPU ? DispatchKey::CPU : DispatchKey::CUDA, std::move(f));
}

Library& Library::impl(const std::string& name, DispatchKey k, CppFunction f) & {
  XGRAD_CHECK(!key_ || *key_ == k, ValueError,
              "Library::impl(\"{}\"): explicitly provided dispatch key ({}) is inconsistent with the dispatch key of "
              "the enclosing TORCH_LIBRARY_IMPL block ({}, {})",
              name, toString(k), toString(*key_), where_);
  XGRAD_CHECK(k != DispatchKey::Undefined && k != DispatchKey::AutogradOther, ValueError,
              "Library::impl(\"{}\"): kernels cannot be registered for key {}", name, toString(k));
  // The operator name may carry an overload: "op.overload".
  const std::string full = qualify(name);
  auto kernel = std::make_shared<const CppFunction>(std::move(f));
  auto& r = detail::registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto e = detail::entry_locked(r, full);
  if (e->schema) detail::check_kernel_types(*e->schema, *kernel, k);
  const uint64_t id = r.next_id++;
  e->kernels[k].emplace_back(id, std::move(kernel));
  registrations_.push_back([e, k, id] {
    auto& reg = detail::registry();
    std::lock_guard<std::mutex> l(reg.mutex);
    auto& list = e->kernels[k];
    std::erase_if(list, [id](const auto& p) { return p.first == id; });
  });
  return *this;
}

}  // namespace xgrad
