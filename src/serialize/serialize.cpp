// save / load for modules, tensor maps, single tensors and tensor lists, and the random
// generator's state: each turns its object into a StateDict and goes through the safetensors
// reader and writer (safetensors.cpp).

#include <xgrad/random.hpp>
#include <xgrad/serialize.hpp>

#include <string>

namespace xgrad {

namespace {
constexpr const char* kGeneratorKey = "generator_state";

StateDict with_content(StateDict state, const char* content) {
  state.metadata[kContentKey] = content;
  return state;
}

// A file saved as `expected` content (a single tensor, a list): refuse other files, whose
// names would not make sense for this target.
void check_content(const StateDict& state, const std::filesystem::path& path, const char* expected) {
  const auto it = state.metadata.find(kContentKey);
  const std::string found = it == state.metadata.end() ? std::string("(none)") : it->second;
  XGRAD_CHECK(found == expected, IOError, "{}: holds content '{}', expected '{}' (saved by xgrad::save of a {})",
              path.string(), found, expected, expected == std::string("tensor") ? "Tensor" : "std::vector<Tensor>");
}
}  // namespace

namespace detail {
StateDict strip_format_metadata(StateDict state) {
  state.metadata.erase(kFormatKey);
  state.metadata.erase(kFormatVersionKey);
  state.metadata.erase(kContentKey);
  return state;
}
}  // namespace detail

// ---- modules ---------------------------------------------------------------------------------

void save(const nn::Module& module, const std::filesystem::path& path) {
  save(with_content(module.state_dict(), "module"), path);
}

void load(nn::Module& module, const std::filesystem::path& path, const LoadOptions& options) {
  const StateDict state = load_state_dict_file(path);
  try {
    module.load_state_dict(state, options.strict());
  } catch (const ValueError& e) {
    // The file itself is fine; the message says which file did not fit which module.
    throw ValueError(fmt::format("{}\n(while loading {})", e.what(), path.string()));
  }
}

// ---- tensor maps -----------------------------------------------------------------------------

void save(const OrderedDict<std::string, Tensor>& tensors, const std::filesystem::path& path) {
  StateDict state;
  for (const auto& item : tensors) state.tensors.insert(item.key(), item.value());
  save(with_content(std::move(state), "tensors"), path);
}

void save(const std::map<std::string, Tensor>& tensors, const std::filesystem::path& path) {
  StateDict state;
  for (const auto& [key, value] : tensors) state.tensors.insert(key, value);
  save(with_content(std::move(state), "tensors"), path);
}

void load(OrderedDict<std::string, Tensor>& tensors, const std::filesystem::path& path) {
  StateDict state = load_state_dict_file(path);
  tensors = std::move(state.tensors);
}

void load(std::map<std::string, Tensor>& tensors, const std::filesystem::path& path) {
  const StateDict state = load_state_dict_file(path);
  tensors.clear();
  for (const auto& item : state.tensors) tensors.emplace(item.key(), item.value());
}

void save(const Tensor& tensor, const std::filesystem::path& path) {
  StateDict state;
  state.tensors.insert("tensor", tensor);
  save(with_content(std::move(state), "tensor"), path);
}

void save(const std::vector<Tensor>& tensors, const std::filesystem::path& path) {
  StateDict state;
  for (size_t i = 0; i < tensors.size(); ++i) state.tensors.insert(std::to_string(i), tensors[i]);
  save(with_content(std::move(state), "tensor_list"), path);
}

void load(Tensor& tensor, const std::filesystem::path& path) {
  const StateDict state = load_state_dict_file(path);
  check_content(state, path, "tensor");
  const Tensor* t = state.tensors.find("tensor");
  XGRAD_CHECK(t != nullptr && state.tensors.size() == 1, IOError, "{}: a saved tensor file holds exactly one tensor "
              "named 'tensor', found {} tensors", path.string(), state.tensors.size());
  tensor = *t;
}

void load(std::vector<Tensor>& tensors, const std::filesystem::path& path) {
  const StateDict state = load_state_dict_file(path);
  check_content(state, path, "tensor_list");
  std::vector<Tensor> out;
  for (size_t i = 0; i < state.tensors.size(); ++i) {
    const Tensor* t = state.tensors.find(std::to_string(i));
    XGRAD_CHECK(t != nullptr, IOError, "{}: a saved tensor list names its {} tensors \"0\" to \"{}\", but \"{}\" is "
                "missing", path.string(), state.tensors.size(), state.tensors.size() - 1, i);
    out.push_back(*t);
  }
  tensors = std::move(out);
}

// ---- random generator ------------------------------------------------------------------------

StateDict rng_state_dict() {
  StateDict state;
  state.metadata[kGeneratorKey] = get_rng_state();
  state.metadata[kContentKey] = "rng_state";
  return state;
}

void load_rng_state_dict(const StateDict& state) {
  const auto it = state.metadata.find(kGeneratorKey);
  XGRAD_CHECK(it != state.metadata.end(), ValueError,
              "load_rng_state_dict: the state dict has no '{}' entry (make it with xgrad::rng_state_dict(), and "
              "extract(prefix) it from a combined checkpoint first)", kGeneratorKey);
  set_rng_state(it->second);
}

}  // namespace xgrad
