#pragma once
/// \file
/// Checkpoints: `xgrad::save` / `xgrad::load`, as LibTorch's `torch::save(model, "m.pt")` /
/// `torch::load(model, "m.pt")`, in the safetensors layout (a little-endian u64 header length,
/// a JSON header, raw little-endian tensor data) that numpy, PyTorch and the `safetensors`
/// package read. See docs/checkpoints.md.
///
///     xgrad::save(model, "model.safetensors");          // parameters and buffers
///     Net fresh;
///     xgrad::load(fresh, "model.safetensors");          // strict: names, shapes, dtypes checked
///
///     xgrad::StateDict ckpt;                            // several objects, one file
///     ckpt.merge(model->state_dict(), "model");
///     ckpt.merge(optimizer.state_dict(), "optimizer");
///     ckpt.merge(xgrad::rng_state_dict(), "rng");
///     xgrad::save(ckpt, "ckpt.safetensors");
///     auto back = xgrad::load_state_dict_file("ckpt.safetensors");
///     model->load_state_dict(back.extract("model"));
///
/// Writes are atomic: the file at `path` is always either the previous complete checkpoint or
/// the new one, even if the process is killed while writing. Loading validates the whole file
/// before changing anything. Every failure (missing file, corrupt or truncated content, wrong
/// names or shapes) throws `xgrad::IOError` naming the file and the problem, except mismatches
/// between a valid file and a module, which throw ValueError from Module::load_state_dict.

#include <xgrad/arg.hpp>
#include <xgrad/nn/module.hpp>
#include <xgrad/nn/pimpl.hpp>
#include <xgrad/ordered_dict.hpp>
#include <xgrad/state_dict.hpp>
#include <xgrad/tensor.hpp>

#include <concepts>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace xgrad {

/// Version of the xgrad metadata conventions, stored as metadata "format_version".
inline constexpr int kCheckpointFormatVersion = 1;

/// Metadata keys every xgrad file carries (overwritten by save): "format" ("xgrad"),
/// "format_version" ("1"), "content" (what was saved: "module", "optimizer", "lr_scheduler",
/// "state_dict", "tensors", "tensor", "tensor_list", "rng_state"). `load` into an object removes
/// them before calling the object's load_state_dict.
inline constexpr const char* kFormatKey = "format";
inline constexpr const char* kFormatVersionKey = "format_version";
inline constexpr const char* kContentKey = "content";

/// Options of `load`, chainable: `xgrad::load(model, path, xgrad::LoadOptions().strict(false))`.
struct LoadOptions {
  /// With strict (the default), every name in the file must exist in the target and every
  /// name of the target in the file (PyTorch's `load_state_dict(strict=True)`).
  XGRAD_ARG(bool, strict) = true;
};

// ---- state dicts and files -----------------------------------------------------------------

/// Writes `state` to `path` (safetensors layout), atomically: a temporary file in the same
/// directory is written, fsync'ed and renamed over `path`. Non-contiguous tensors are written
/// contiguous; undefined tensors are refused (ValueError). Adds metadata "format",
/// "format_version" and, unless present, "content" = "state_dict". IOError (naming the path and
/// the system's reason) when the file cannot be written; the temporary file is removed then.
void save(const StateDict& state, const std::filesystem::path& path);

/// Reads a whole file written by `save` (or any safetensors file of F32, F64, I64 and BOOL
/// tensors) in the order of the tensors' data. Everything is validated before a tensor is
/// made: IOError naming the file and the problem for a missing or unreadable file, a header
/// length past the end of the file, malformed JSON, a bad entry (unknown dtype, negative or
/// non-integer shape, data size not matching the shape, offsets out of range or overlapping),
/// non-string metadata. Memory is bounded by the file's size.
/// PyTorch equivalent: `safetensors.torch.load_file(path)`.
StateDict load_state_dict_file(const std::filesystem::path& path);

// ---- modules ---------------------------------------------------------------------------------

/// Saves `module.state_dict()` (parameters and buffers, PyTorch's names) with "content" =
/// "module". LibTorch: `torch::save(model, path)`.
void save(const nn::Module& module, const std::filesystem::path& path);
/// Loads a file into `module` in place (Module::load_state_dict): IOError for a bad file,
/// ValueError listing every missing / unexpected / mis-shaped name; nothing changes on error.
/// LibTorch: `torch::load(model, path)`.
void load(nn::Module& module, const std::filesystem::path& path, const LoadOptions& options);
inline void load(nn::Module& module, const std::filesystem::path& path, bool strict = true) {
  load(module, path, LoadOptions().strict(strict));
}

/// Holders (`Net net; xgrad::save(net, path)`) and shared pointers to modules.
template <typename Holder>
  requires nn::is_module_holder_v<Holder>
void save(const Holder& module, const std::filesystem::path& path) {
  save(static_cast<const nn::Module&>(*module), path);
}
template <typename Holder>
  requires nn::is_module_holder_v<Holder>
void load(const Holder& module, const std::filesystem::path& path, const LoadOptions& options) {
  load(static_cast<nn::Module&>(*module.ptr()), path, options);
}
template <typename Holder>
  requires nn::is_module_holder_v<Holder>
void load(const Holder& module, const std::filesystem::path& path, bool strict = true) {
  load(static_cast<nn::Module&>(*module.ptr()), path, LoadOptions().strict(strict));
}
template <typename M>
  requires std::is_base_of_v<nn::Module, M>
void save(const std::shared_ptr<M>& module, const std::filesystem::path& path) {
  XGRAD_CHECK(module != nullptr, ValueError, "save: the module pointer is null ({})", path.string());
  save(static_cast<const nn::Module&>(*module), path);
}
template <typename M>
  requires std::is_base_of_v<nn::Module, M>
void load(const std::shared_ptr<M>& module, const std::filesystem::path& path, bool strict = true) {
  XGRAD_CHECK(module != nullptr, ValueError, "load: the module pointer is null ({})", path.string());
  load(static_cast<nn::Module&>(*module), path, LoadOptions().strict(strict));
}

// ---- plain tensors ---------------------------------------------------------------------------

/// A name → tensor map, in its order ("content" = "tensors").
void save(const OrderedDict<std::string, Tensor>& tensors, const std::filesystem::path& path);
void save(const std::map<std::string, Tensor>& tensors, const std::filesystem::path& path);
/// Replaces the content of `tensors` with the file's tensors (metadata ignored).
void load(OrderedDict<std::string, Tensor>& tensors, const std::filesystem::path& path);
void load(std::map<std::string, Tensor>& tensors, const std::filesystem::path& path);
/// One tensor (stored under the name "tensor") or a list (names "0", "1", ...), as
/// `torch::save(tensor, path)` / `torch::save(std::vector<Tensor>, path)`. Loading a file of
/// another content is an IOError.
void save(const Tensor& tensor, const std::filesystem::path& path);
void save(const std::vector<Tensor>& tensors, const std::filesystem::path& path);
void load(Tensor& tensor, const std::filesystem::path& path);
void load(std::vector<Tensor>& tensors, const std::filesystem::path& path);

// ---- the random generator --------------------------------------------------------------------

/// The global generator's state (get_rng_state()) as metadata "generator_state", so a resumed
/// run draws the same numbers as an uninterrupted one ("content" = "rng_state").
StateDict rng_state_dict();
/// Restores the state saved by rng_state_dict; ValueError when `state` has none or it is not a
/// generator state.
void load_rng_state_dict(const StateDict& state);

// ---- any object with state_dict() / load_state_dict(const StateDict&) ------------------------

namespace detail {
/// Drops the metadata keys save adds ("format", "format_version", "content").
StateDict strip_format_metadata(StateDict state);

template <typename T>
concept HasStateDict = !std::is_base_of_v<nn::Module, std::remove_cvref_t<T>> && requires(T& obj) {
  { obj.state_dict() } -> std::convertible_to<StateDict>;
};
template <typename T>
concept LoadsStateDict = !std::is_base_of_v<nn::Module, std::remove_cvref_t<T>> &&
                         requires(T& obj, const StateDict& state) { obj.load_state_dict(state); };

/// "content" for an object: optimizers have param_groups(), LR schedulers get_last_lr().
template <typename T>
const char* content_of() {
  if constexpr (requires(T& obj) { obj.param_groups(); })
    return "optimizer";
  else if constexpr (requires(T& obj) { obj.get_last_lr(); })
    return "lr_scheduler";
  else
    return "state_dict";
}
}  // namespace detail

/// Saves `obj.state_dict()` (an optimizer, an LR scheduler, any class with that member).
template <typename T>
  requires detail::HasStateDict<T>
void save(T&& obj, const std::filesystem::path& path) {
  StateDict state = obj.state_dict();
  if (!state.metadata.count(kContentKey)) state.metadata[kContentKey] = detail::content_of<std::remove_cvref_t<T>>();
  save(state, path);
}
/// Reads the file and calls `obj.load_state_dict(state)` with the format metadata removed.
template <typename T>
  requires detail::LoadsStateDict<T>
void load(T& obj, const std::filesystem::path& path) {
  obj.load_state_dict(detail::strip_format_metadata(load_state_dict_file(path)));
}

}  // namespace xgrad
