#pragma once
/// \file
/// `xgrad::Tensor`: a cheap, reference-counted handle to strided storage, as `torch::Tensor`.
/// Copies of a Tensor share storage; `slice`, `narrow`, `transpose`, `permute`, `t()` and `view`
/// return views sharing it too, so a write through a view changes the base.
///
///     auto x = xgrad::tensor({{0., 1., 2.}, {3., 4., 5.}});
///     auto w = xgrad::ones({3}, xgrad::requires_grad());
///     auto y = (x * w).sum();
///     y.backward();
///     std::cout << w.grad();   // tensor([3., 5., 7.])

#include <xgrad/array_ref.hpp>
#include <xgrad/dtype.hpp>
#include <xgrad/error.hpp>
#include <xgrad/layout.hpp>
#include <xgrad/scalar.hpp>
#include <xgrad/small_vector.hpp>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace xgrad {

namespace autograd {
class Node;
}  // namespace autograd

namespace indexing {
class TensorIndex;
}  // namespace indexing

class Tensor;
struct TensorImpl;
using TensorList = ArrayRef<Tensor>;

/// Raw memory shared by a tensor and all its views. Allocated 64-byte aligned by xgrad, or
/// borrowed from the user by `from_blob`. `version` counts in-place writes, so autograd can
/// detect a saved tensor modified after it was saved. Not copyable: it is shared through
/// `std::shared_ptr` (TensorImpl::storage) and, for users, through `Tensor::storage()`.
struct Storage {
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  virtual ~Storage() = default;
  /// The context of the memory's deleter (LibTorch's `DataPtr::get_context()`): the object
  /// that frees the memory when the storage dies; nullptr when nothing frees it (`from_blob`
  /// without a deleter, whose memory stays the caller's).
  virtual void* context() const { return const_cast<Storage*>(this); }
  void* data = nullptr;
  size_t nbytes = 0;
  uint64_t version = 0;
  /// In-place ops recorded in the autograd graph on a tensor of this storage. A view whose
  /// history was recorded before one of them is stale (see DifferentiableViewMeta).
  uint64_t history_version = 0;
};

/// LibTorch's `c10::DataPtr` as `Tensor::storage().data_ptr()` gives it: the start of the
/// storage's memory and its deleter's context. It does not own the memory; keep the
/// StorageHandle (or a tensor) alive while using it.
class DataPtr {
 public:
  DataPtr() = default;
  DataPtr(void* ptr, void* context) : ptr_(ptr), context_(context) {}
  void* get() const { return ptr_; }
  /// See Storage::context(); nullptr for memory nobody frees (`from_blob` without a deleter).
  void* get_context() const { return context_; }
  explicit operator bool() const { return ptr_ != nullptr; }
  /// Always the CPU.
  Device device() const { return Device(kCPU); }

 private:
  void* ptr_ = nullptr;
  void* context_ = nullptr;
};

/// What `Tensor::storage()` returns: a shared handle to the memory a tensor and all its views
/// use (LibTorch's `c10::Storage`, with its usual accessors). It keeps the storage alive.
///
///     auto s = x.storage();
///     s.nbytes();                 // bytes of the whole storage, not just x's elements
///     s.data_ptr().get();         // start of the storage (x.data_ptr() adds x's offset)
///     x.storage().is_alias_of(x.view({-1}).storage());   // true
class StorageHandle {
 public:
  StorageHandle() = default;
  explicit StorageHandle(std::shared_ptr<Storage> storage) : storage_(std::move(storage)) {}
  /// Whether it refers to a storage (false for the storage of an undefined tensor).
  bool defined() const { return storage_ != nullptr; }
  explicit operator bool() const { return defined(); }
  /// Size of the memory in bytes (0 for an undefined handle).
  size_t nbytes() const { return storage_ ? storage_->nbytes : 0; }
  /// Start of the memory (nullptr for an undefined handle).
  void* data() const { return storage_ ? storage_->data : nullptr; }
  DataPtr data_ptr() const { return storage_ ? DataPtr(storage_->data, storage_->context()) : DataPtr(); }
  /// Number of owners: tensors (with their views) and handles sharing this storage.
  long use_count() const { return storage_.use_count(); }
  bool unique() const { return use_count() == 1; }
  /// Whether both refer to the same storage (false when either is undefined).
  bool is_alias_of(const StorageHandle& other) const { return storage_ && storage_ == other.storage_; }
  /// Always the CPU.
  Device device() const { return Device(kCPU); }
  /// The shared Storage itself (LibTorch's `unsafeGetStorageImpl()`).
  Storage* unsafeGetStorageImpl() const { return storage_.get(); }

 private:
  std::shared_ptr<Storage> storage_;
};

/// Allocates uninitialised, 64-byte aligned storage for `nbytes` bytes; OutOfMemoryError when the
/// allocation fails.
std::shared_ptr<Storage> allocate_storage(size_t nbytes);

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  Tensor(const Tensor&) = default;
  Tensor(Tensor&&) noexcept = default;
  /// Assigning to a named Tensor rebinds the handle (both then share one tensor).
  Tensor& operator=(const Tensor&) & = default;
  Tensor& operator=(Tensor&&) & noexcept = default;
  /// Assigning to a temporary writes through it, as in LibTorch: `x[0] = t`, `x.select(1, 2) =
  /// t` and `x.index({Slice(), 0}) = t` copy t's values into that view of x (broadcasting t;
  /// `copy_`'s errors apply, e.g. when x or t requires grad). A temporary from a non-view op
  /// (such as indexing with a tensor) is a copy, so the write does not reach x (as LibTorch).
  Tensor& operator=(const Tensor& src) && { return copy_(src); }
  Tensor& operator=(Tensor&& src) && { return copy_(src); }
  /// `x[0] = 1.5` fills that view of x with the value.
  Tensor& operator=(const Scalar& value) && { return fill_(value); }

  // ---- identity and metadata -------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  TensorImpl* unsafeGetTensorImpl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  int64_t dim() const;
  int64_t ndimension() const { return dim(); }
  int64_t numel() const;
  IntArrayRef sizes() const;
  /// Same as sizes(), as a vector (PyTorch's `x.shape`).
  std::vector<int64_t> shape() const;
  /// Size of dimension `d`; negative `d` counts from the end.
  int64_t size(int64_t d) const;
  IntArrayRef strides() const;
  int64_t stride(int64_t d) const;
  int64_t storage_offset() const;
  ScalarType dtype() const;
  ScalarType scalar_type() const { return dtype(); }
  TensorOptions options() const;
  /// Always kStrided (xgrad has no sparse tensors); ValueError on an undefined tensor.
  /// LibTorch's `Tensor::layout()`.
  Layout layout() const;
  /// The device index: -1 for a CPU tensor (every xgrad tensor), as LibTorch's
  /// `Tensor::get_device()`; ValueError on an undefined tensor.
  int64_t get_device() const;
  /// Handle to the memory this tensor and its views share (LibTorch's `Tensor::storage()`;
  /// see StorageHandle). ValueError on an undefined tensor.
  StorageHandle storage() const;
  /// Whether both tensors use the same storage (views of one another, or of one base).
  /// False when either is undefined. LibTorch's `Tensor::is_alias_of`.
  bool is_alias_of(const Tensor& other) const;
  bool is_contiguous() const;
  bool is_floating_point() const { return xgrad::is_floating_point(dtype()); }
  /// Whether the dtype holds negative values: false for uint8 and bool (LibTorch's `is_signed()`).
  bool is_signed() const { return xgrad::is_signed(dtype()); }
  size_t element_size() const;
  /// Number of in-place modifications of this tensor's storage.
  uint64_t _version() const;

  // ---- raw access --------------------------------------------------------------------------
  /// Pointer to the first element; throws TypeError when T does not match dtype().
  template <typename T>
  T* data_ptr() const;
  /// The single value of a one-element tensor, converted to T.
  template <typename T>
  T item() const;
  /// All elements in row-major order, converted to T.
  template <typename T>
  std::vector<T> to_vector() const;

  // ---- autograd ----------------------------------------------------------------------------
  bool requires_grad() const;
  Tensor& requires_grad_(bool requires_grad = true) const;
  Tensor& set_requires_grad(bool requires_grad) const { return requires_grad_(requires_grad); }
  bool is_leaf() const;
  /// Whether this tensor is a view made by a view op (view, slice, select, transpose, as_strided,
  /// alias, ...) of another tensor, its `_base()` (LibTorch's `is_view()`). detach() and
  /// tensor_data() results are not views in this sense.
  bool is_view() const;
  /// The tensor this view views: the root of a chain of views (LibTorch's `_base()`).
  /// ValueError for a tensor that is not a view ("Can't get base of non-view Tensor").
  const Tensor& _base() const;
  /// The accumulated gradient (undefined until a backward pass reaches this tensor).
  const Tensor& grad() const;
  Tensor& mutable_grad() const;
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  uint32_t output_nr() const;
  /// Reverse-mode autodiff from this tensor. `gradient` may be omitted for a scalar. With
  /// `inputs` (a braced list `{x, y}`, a std::vector<Tensor> or a TensorList, as LibTorch's
  /// `c10::optional<TensorList>`), only those tensors' grad() is filled (see
  /// autograd::backward); an empty list is a ValueError, as in LibTorch. With create_graph, a
  /// warning (once per process) says that the leaves' gradients now hold a reference cycle.
  void backward(const Tensor& gradient = {}, std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false, OptionalArrayRef<Tensor> inputs = std::nullopt) const;
  /// Keeps this non-leaf tensor's gradient in grad() after backward.
  void retain_grad() const;
  bool retains_grad() const;
  /// Calls `hook(leaf)` each time a backward pass has accumulated a gradient into this leaf's
  /// grad() (PyTorch's `Tensor.register_post_accumulate_grad_hook`). The hook runs on the thread
  /// running backward, after the accumulation; it may read and modify `leaf.grad()` in place.
  /// Returns a handle for remove_post_accumulate_grad_hook. Throws AutogradError on a tensor
  /// that is not a leaf requiring grad.
  unsigned register_post_accumulate_grad_hook(std::function<void(const Tensor&)> hook) const;
  /// Removes the hook registered under `handle` (a no-op if it was removed already).
  void remove_post_accumulate_grad_hook(unsigned handle) const;
  /// Calls `hook(grad)` each time a backward pass computes the gradient of this tensor, before
  /// it is used: for a leaf, before it is accumulated into grad(); for a non-leaf, before it
  /// flows into grad_fn (and before retain_grad() keeps it). A hook returning a Tensor (e.g.
  /// `std::function<Tensor(Tensor)>` or `[](Tensor g) { return g * 2; }`) replaces the gradient
  /// with that tensor unless it is undefined; a hook returning void only observes it. Hooks run
  /// in registration order, on the thread running backward, also for autograd::grad. Returns a
  /// handle for remove_hook. AutogradError on a tensor that does not require grad; ValueError on
  /// an undefined one. LibTorch's `Tensor::register_hook` (Python `Tensor.register_hook`).
  template <typename F>
  unsigned register_hook(F&& hook) const {
    using R = std::invoke_result_t<std::decay_t<F>&, Tensor>;
    if constexpr (std::is_void_v<R>)
      return _register_hook([h = std::forward<F>(hook)](const Tensor& grad) mutable {
        h(grad);
        return Tensor();
      });
    else
      return _register_hook([h = std::forward<F>(hook)](const Tensor& grad) mutable { return Tensor(h(grad)); });
  }
  /// register_hook's untemplated form (LibTorch's `_register_hook`): the hook's result replaces
  /// the gradient when it is defined.
  unsigned _register_hook(std::function<Tensor(const Tensor&)> hook) const;
  /// Removes the hook registered under `handle`; a handle never returned by register_hook on
  /// this tensor is an IndexError, as LibTorch ("Invalid index"); removing twice is a no-op.
  void remove_hook(unsigned handle) const;
  /// A tensor sharing storage but cut from the graph.
  Tensor detach() const;
  Tensor& detach_() const;
  /// Same as detach(): the chapter's `weight.data`.
  Tensor data() const { return detach(); }
  /// A new tensor on the same storage (same sizes, strides, offset and version counter: an
  /// in-place change through either is seen by the other and by the autograd checks of saved
  /// tensors) with no autograd history: it does not require grad, is a leaf, has no grad and is
  /// not recorded as a view of this tensor (LibTorch's `Tensor::tensor_data`; Python's
  /// `x.data` is the closest).
  Tensor tensor_data() const;
  /// As tensor_data() (LibTorch's `Tensor::variable_data`, Python's `x.data`; in LibTorch the
  /// version counter is not shared, in xgrad the version belongs to the storage, so it is).
  Tensor variable_data() const { return tensor_data(); }

  // ---- conversion and copies -----------------------------------------------------------------
  /// Converts to `dtype`; returns this tensor itself when it has that dtype already, unless
  /// `copy` (LibTorch's `to(dtype, non_blocking, copy)`; `non_blocking` has no effect on the CPU).
  Tensor to(ScalarType dtype, bool non_blocking = false, bool copy = false) const;
  /// `to(device, dtype, ...)`: the CPU gives `to(dtype, ...)`; any other device throws
  /// ValueError naming it, as a CPU-only LibTorch build does. (`to(device)` alone goes through
  /// `to(TensorOptions)`, as in LibTorch, with the same check.)
  Tensor to(Device device, ScalarType dtype, bool non_blocking = false, bool copy = false) const;
  /// `to(other)`: converts to `other`'s dtype (and device, always the CPU), as LibTorch.
  Tensor to(const Tensor& other, bool non_blocking = false, bool copy = false) const;
  /// Always the CPU (`tensor.device()`). These four throw ValueError on an undefined tensor.
  Device device() const;
  bool is_cpu() const;
  bool is_cuda() const;
  /// This tensor itself, as `tensor.cpu()` on a CPU tensor.
  Tensor cpu() const;
  /// Throws ValueError: xgrad has no CUDA device.
  Tensor cuda() const { return to(Device(kCUDA)); }
  Tensor contiguous() const;
  Tensor clone() const;
  Tensor& copy_(const Tensor& src) const;

  // ---- in-place updates ----------------------------------------------------------------------
  // As LibTorch, in-place methods are const: a Tensor is a handle, and `w.grad().zero_()` or
  // `t.add_(1)` on a `const Tensor&` writes the shared tensor, not the handle.
  // Autograd, as PyTorch: with grad mode on, an in-place op on a non-leaf tensor that requires
  // grad (or with an operand that requires grad) is recorded: the tensor's grad_fn becomes the
  // op's node (e.g. MulBackward0 for mul_), whose edge leads to its previous grad_fn, and its
  // version is bumped, so a node that saved the old values throws AutogradError ("... modified
  // by an inplace operation ...") in backward. On a view (x[0], narrow, view, ...) the op
  // rewrites the base's history (CopySlices), as LibTorch. AutogradError is thrown for a leaf
  // that requires grad or a view of one (use NoGradGuard), and for a view whose CreationMeta
  // forbids it (made under NoGradGuard, returned by a custom Function; docs/autograd.md).
  Tensor& zero_() const;
  /// Every element set to `value` converted to this dtype (a floating value truncates into an
  /// integer tensor, as PyTorch).
  Tensor& fill_(const Scalar& value) const;
  /// `self += alpha * other`; a floating `alpha` for an integral result is a TypeError.
  Tensor& add_(const Tensor& other, const Scalar& alpha = 1) const;
  /// `self += other * alpha`; the result type (PyTorch's promotion with a Scalar) must fit this
  /// tensor's dtype: `int_tensor.add_(1.5)` is a TypeError as in PyTorch.
  Tensor& add_(const Scalar& other, const Scalar& alpha = 1) const;
  Tensor& sub_(const Tensor& other, const Scalar& alpha = 1) const;
  Tensor& sub_(const Scalar& other, const Scalar& alpha = 1) const;
  Tensor& mul_(const Tensor& other) const;
  Tensor& mul_(const Scalar& other) const;
  Tensor& div_(const Tensor& other) const;
  Tensor& div_(const Scalar& other) const;
  Tensor& clamp_(const std::optional<Scalar>& min, const std::optional<Scalar>& max = std::nullopt) const;
  /// `self = self ** exponent` in place, recorded as pow (PowBackward0 / PowBackward1) as the
  /// in-place ops above. The result type (PyTorch's promotion) must fit this tensor's dtype
  /// (`int_tensor.pow_(0.5)` is a TypeError); an integral tensor to a negative integral Scalar
  /// power is a ValueError; the exponent tensor must broadcast to this tensor's sizes
  /// (ShapeError). PyTorch: `Tensor.pow_`.
  Tensor& pow_(const Scalar& exponent) const;
  Tensor& pow_(const Tensor& exponent) const;
  /// relu, sigmoid and tanh in place (LibTorch's `relu_()`, `sigmoid_()`, `tanh_()`); recorded
  /// as ReluBackward0 / SigmoidBackward0 / TanhBackward0, which save the result: modifying the
  /// tensor in place again before backward makes backward throw, as in PyTorch.
  Tensor& relu_() const;
  Tensor& sigmoid_() const;
  Tensor& tanh_() const;
  Tensor& uniform_(double from = 0.0, double to = 1.0) const;
  Tensor& normal_(double mean = 0.0, double std = 1.0) const;
  /// 1 with probability `p`, else 0, in this tensor's dtype (any dtype); ValueError unless
  /// 0 <= p <= 1. PyTorch's `Tensor.bernoulli_(p)` (its CPU stream when built without MKL).
  Tensor& bernoulli_(double p = 0.5) const;
  Tensor& operator+=(const Tensor& other) { return add_(other); }
  Tensor& operator+=(const Scalar& other) { return add_(other); }
  Tensor& operator-=(const Tensor& other) { return sub_(other); }
  Tensor& operator-=(const Scalar& other) { return sub_(other); }
  Tensor& operator*=(const Tensor& other) { return mul_(other); }
  Tensor& operator*=(const Scalar& other) { return mul_(other); }
  Tensor& operator/=(const Tensor& other) { return div_(other); }
  Tensor& operator/=(const Scalar& other) { return div_(other); }

  // ---- differentiable elementwise math ---------------------------------------------------------
  Tensor add(const Tensor& other, const Scalar& alpha = 1) const;
  /// `self + other * alpha` with PyTorch's promotion (`int_tensor.add(1)` stays int64,
  /// `int_tensor.add(0.5)` is float32, `float32_tensor.add(1e300)` stays float32).
  Tensor add(const Scalar& other, const Scalar& alpha = 1) const;
  Tensor sub(const Tensor& other, const Scalar& alpha = 1) const;
  Tensor sub(const Scalar& other, const Scalar& alpha = 1) const;
  Tensor mul(const Tensor& other) const;
  Tensor mul(const Scalar& other) const;
  Tensor div(const Tensor& other) const;
  /// True division: an integral tensor gives float32.
  Tensor div(const Scalar& other) const;
  Tensor neg() const;
  /// An integral exponent keeps an integral tensor integral (`i.pow(2)` is int64; a negative
  /// integral exponent of an integral tensor is a ValueError, as PyTorch); a floating one
  /// gives float32.
  Tensor pow(const Scalar& exponent) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor rsqrt() const;
  Tensor abs() const;
  /// -1, 0 or 1 by the sign of each element, in the input's dtype (bool stays bool; uint8 gives
  /// 0 or 1; NaN stays NaN), as PyTorch's `sign`. Gradient zero.
  Tensor sign() const;
  Tensor square() const;
  Tensor sin() const;
  Tensor cos() const;
  /// Bounds are Scalars: a floating bound promotes an integral tensor to float32 (PyTorch 1.13).
  Tensor clamp(const std::optional<Scalar>& min, const std::optional<Scalar>& max = std::nullopt) const;
  Tensor relu() const;
  Tensor sigmoid() const;
  Tensor tanh() const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;

  // ---- reductions ------------------------------------------------------------------------------
  Tensor sum() const;
  Tensor sum(IntArrayRef dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(IntArrayRef dims, bool keepdim = false) const;
  /// Largest element (differentiable; ties share the gradient equally, as PyTorch).
  Tensor max() const;
  Tensor min() const;
  /// (values, indices) along `dim`.
  std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;
  std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  Tensor amax(IntArrayRef dims, bool keepdim = false) const;
  Tensor amin(IntArrayRef dims, bool keepdim = false) const;
  Tensor argmax(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor argmin(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;

  // ---- linear algebra --------------------------------------------------------------------------
  Tensor matmul(const Tensor& other) const;
  Tensor mm(const Tensor& other) const;

  // ---- comparisons (not differentiable; kBool results) ---------------------------------------
  Tensor eq(const Tensor& other) const;
  Tensor eq(const Scalar& other) const;
  Tensor ne(const Tensor& other) const;
  Tensor ne(const Scalar& other) const;
  Tensor lt(const Tensor& other) const;
  Tensor lt(const Scalar& other) const;
  Tensor le(const Tensor& other) const;
  Tensor le(const Scalar& other) const;
  Tensor gt(const Tensor& other) const;
  Tensor gt(const Scalar& other) const;
  Tensor ge(const Tensor& other) const;
  Tensor ge(const Scalar& other) const;
  bool equal(const Tensor& other) const;
  bool allclose(const Tensor& other, double rtol = 1e-5, double atol = 1e-8) const;

  // ---- shape and views (differentiable) --------------------------------------------------------
  /// Shares storage; `-1` infers one size. Throws when the strides do not allow a view.
  Tensor view(IntArrayRef sizes) const;
  /// A view when possible, otherwise a copy.
  Tensor reshape(IntArrayRef sizes) const;
  Tensor view_as(const Tensor& other) const { return view(other.sizes()); }
  Tensor reshape_as(const Tensor& other) const { return reshape(other.sizes()); }
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;
  Tensor permute(IntArrayRef dims) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  /// Elements `start, start+step, ...` below `end` along `dim` (Python's `x[..., start:end:step]`).
  Tensor slice(int64_t dim = 0, std::optional<int64_t> start = std::nullopt,
               std::optional<int64_t> end = std::nullopt, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor operator[](int64_t index) const { return select(0, index); }
  /// Python's `x[...]` (see <xgrad/indexing.hpp>). IndexError, as LibTorch, for an empty index
  /// list and for any index of a 0-dim tensor ("invalid index"); index_put_ throws ShapeError
  /// ("shape mismatch") when the value does not broadcast to the indexed part.
  Tensor index(ArrayRef<indexing::TensorIndex> indices) const;
  Tensor index(std::initializer_list<indexing::TensorIndex> indices) const;
  Tensor& index_put_(ArrayRef<indexing::TensorIndex> indices, const Tensor& value) const;
  Tensor& index_put_(ArrayRef<indexing::TensorIndex> indices, const Scalar& value) const;
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& value) const;
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Scalar& value) const;
  /// ATen's form, one optional tensor per dimension (`x.index_put_({mask}, values, true)`):
  /// with `accumulate`, adds instead of writing (repeated indices add every value). See
  /// xgrad::index_put_ in <xgrad/indexing.hpp>.
  Tensor& index_put_(ArrayRef<std::optional<Tensor>> indices, const Tensor& values, bool accumulate = false) const;
  /// Out-of-place, differentiable form (xgrad::index_put).
  Tensor index_put(ArrayRef<std::optional<Tensor>> indices, const Tensor& values, bool accumulate = false) const;
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor expand(IntArrayRef sizes) const;
  Tensor expand_as(const Tensor& other) const { return expand(other.sizes()); }
  /// A view with the given sizes and strides over this tensor's storage, from `storage_offset`
  /// (this tensor's own offset when omitted), as xgrad::as_strided.
  Tensor as_strided(IntArrayRef size, IntArrayRef stride, std::optional<int64_t> storage_offset = std::nullopt) const;
  /// The slices `select(dim, 0)`, ..., `select(dim, size(dim) - 1)`: views of this tensor (see
  /// xgrad::unbind). PyTorch: `Tensor.unbind`.
  std::vector<Tensor> unbind(int64_t dim = 0) const;
  /// At most `chunks` views along `dim`, each of ceil(size(dim) / chunks) elements but the last
  /// (see xgrad::chunk). PyTorch: `Tensor.chunk`.
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;
  /// Views of `split_size` elements along `dim`, the last one shorter when size(dim) is not a
  /// multiple (see xgrad::split). PyTorch: `Tensor.split(int)`.
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  /// Views of `split_sizes[i]` elements along `dim` (see xgrad::split_with_sizes). PyTorch:
  /// `Tensor.split(list)`.
  std::vector<Tensor> split(IntArrayRef split_sizes, int64_t dim = 0) const;
  /// Same as split(IntArrayRef, dim). PyTorch: `Tensor.split_with_sizes`.
  std::vector<Tensor> split_with_sizes(IntArrayRef split_sizes, int64_t dim = 0) const;
  /// The diagonal of the (dim1, dim2) planes as a strided view (see xgrad::diagonal). PyTorch:
  /// `Tensor.diagonal`.
  Tensor diagonal(int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1) const;

  // ---- statistics, sorting, gather/scatter, masking (issue 9 item 3; src/ops/statistics.cpp,
  // sorting.cpp, scatter_gather.cpp, elementwise.cpp). Same overloads and defaults as LibTorch
  // 1.13's Tensor methods; each is documented at its free function below. ------------------------
  // std(unbiased) / var(unbiased) take exactly a bool (a template), so that `x.std({1})` and
  // `x.std(1)` reduce dim 1 instead of converting 1 to `unbiased` (LibTorch rejects both calls
  // as ambiguous).
  Tensor std() const { return std(IntArrayRef{}, true, false); }
  template <typename B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
  Tensor std(B unbiased) const { return std(IntArrayRef{}, unbiased, false); }
  Tensor std(IntArrayRef dim, bool unbiased = true, bool keepdim = false) const;
  Tensor std(IntArrayRef dim, std::optional<int64_t> correction, bool keepdim = false) const;
  Tensor var() const { return var(IntArrayRef{}, true, false); }
  template <typename B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
  Tensor var(B unbiased) const { return var(IntArrayRef{}, unbiased, false); }
  Tensor var(IntArrayRef dim, bool unbiased = true, bool keepdim = false) const;
  Tensor var(IntArrayRef dim, std::optional<int64_t> correction, bool keepdim = false) const;
  Tensor norm(double p = 2) const;
  Tensor norm(std::optional<double> p, IntArrayRef dim, bool keepdim = false) const;
  Tensor logsumexp(IntArrayRef dim, bool keepdim = false) const;
  Tensor cumsum(int64_t dim, std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor log1p() const;
  Tensor expm1() const;
  Tensor clamp_min(double min) const;
  Tensor clamp_max(double max) const;
  Tensor& clamp_min_(double min) const;
  Tensor& clamp_max_(double max) const;
  Tensor masked_fill(const Tensor& mask, double value) const;
  Tensor masked_fill(const Tensor& mask, const Tensor& value) const;
  Tensor& masked_fill_(const Tensor& mask, double value) const;
  Tensor& masked_fill_(const Tensor& mask, const Tensor& value) const;
  Tensor gather(int64_t dim, const Tensor& index, bool sparse_grad = false) const;
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor& scatter_add_(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor scatter(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor scatter(int64_t dim, const Tensor& index, double value) const;
  Tensor& scatter_(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor& scatter_(int64_t dim, const Tensor& index, double value) const;
  std::tuple<Tensor, Tensor> sort(int64_t dim = -1, bool descending = false) const;
  std::tuple<Tensor, Tensor> sort(std::optional<bool> stable, int64_t dim = -1, bool descending = false) const;
  std::tuple<Tensor, Tensor> topk(int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true) const;
  // ---- end of the issue 9 item 3 block ---------------------------------------------------------
  // ---- LibTorch names (issue 9, names branch; src/ops/elementwise.cpp). Documented at the free
  // functions below. ------------------------------------------------------------------------------
  Tensor erf() const;
  /// Elementwise maximum / minimum with `other` (as xgrad::maximum / minimum).
  Tensor maximum(const Tensor& other) const;
  Tensor minimum(const Tensor& other) const;
  Tensor max(const Tensor& other) const { return maximum(other); }
  Tensor min(const Tensor& other) const { return minimum(other); }
  Tensor remainder(const Scalar& other) const;
  Tensor remainder(const Tensor& other) const;
  Tensor fmod(const Scalar& other) const;
  Tensor fmod(const Tensor& other) const;
  Tensor isnan() const;
  Tensor isinf() const;
  Tensor isfinite() const;
  /// 0-dim kBool: whether every (any) element is non-zero (NaN counts as non-zero).
  Tensor all() const;
  Tensor any() const;
  /// Along `dim` (kBool, the dim removed unless keepdim).
  Tensor all(int64_t dim, bool keepdim = false) const;
  Tensor any(int64_t dim, bool keepdim = false) const;
  Tensor repeat(IntArrayRef repeats) const;
  /// This tensor converted to `other`'s dtype (itself when it has it already): `to(other.dtype())`
  /// (PyTorch's `Tensor.type_as`). An undefined tensor is a ValueError naming type_as.
  Tensor type_as(const Tensor& other) const;
  Tensor alias() const;
  Tensor addmm(const Tensor& mat1, const Tensor& mat2, const Scalar& beta = 1, const Scalar& alpha = 1) const;
  // ---- end of the LibTorch names block ---------------------------------------------------------
  // ---- LibTorch idioms: untyped access, conversions, storage changes, integer sampling ----------
  /// Untyped pointer to the first element (LibTorch's `data_ptr()`). An undefined tensor is an
  /// error naming data_ptr, as the typed form.
  void* data_ptr() const;
  /// The single value of a one-element tensor as a Scalar of its kind: floating for float32 /
  /// float64, integral for int64, boolean for bool (PyTorch's `x.item()`). ValueError when
  /// numel() != 1.
  Scalar item() const;
  /// This tensor converted to `options.dtype()` when options name one (otherwise itself, unless
  /// `copy`). `non_blocking` is accepted and ignored (CPU only). Options with requires_grad set
  /// are a ValueError, as in LibTorch (use requires_grad_() on the result).
  Tensor to(TensorOptions options, bool non_blocking = false, bool copy = false) const;
  /// Gives this tensor the contiguous `sizes` (PyTorch's `resize_`): the elements that remain
  /// keep their storage positions from the start of this tensor; new ones are uninitialised;
  /// the storage grows (keeping its bytes) when it is too small. A tensor that requires grad
  /// is an AutogradError ("cannot resize variables that require grad"); negative sizes are a
  /// ValueError.
  Tensor& resize_(IntArrayRef sizes) const;
  /// Makes this tensor use `new_data`'s storage, sizes, strides and dtype while keeping its
  /// own autograd identity (requires_grad, grad, hooks), as LibTorch's `set_data` (Python's
  /// `x.data = new_data`). Every handle to this tensor sees the change. An undefined
  /// `new_data` is a ValueError.
  void set_data(const Tensor& new_data) const;
  /// Fills with integers drawn from the global generator exactly as PyTorch's CPU `random_()`:
  /// [0, 2^mantissa] for float32 / float64 (2^24, 2^53), [0, 2^63 - 1] for int64, {0, 1} for
  /// bool.
  Tensor& random_() const;
  /// Integers in [0, to) (PyTorch's `random_(to)`).
  Tensor& random_(int64_t to) const;
  /// Integers in [from, to); without `to`, [from, largest integer the dtype holds exactly]
  /// (PyTorch's `random_(from, to)`). ValueError unless from < to and both fit the dtype.
  Tensor& random_(int64_t from, std::optional<int64_t> to) const;

  /// PyTorch-format text: `tensor([[1., 2.]], requires_grad=True)`.
  std::string to_string() const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

namespace autograd {
/// LibTorch's `torch::autograd::Variable`: since PyTorch 1.0 the same type as Tensor.
using Variable = Tensor;

/// How a view was created, which decides whether an in-place change of it may be recorded
/// (LibTorch's `torch::autograd::CreationMeta`, same enumerators in the same order):
/// - DEFAULT: an ordinary view; an in-place op on it rewrites its base's history (CopySlices);
/// - IN_CUSTOM_FUNCTION: a view returned by a custom Function's forward (or an input it returned
///   as-is);
/// - MULTI_OUTPUT_NODE: one of the views of a node with several differentiable outputs;
/// - NO_GRAD_MODE: made with grad mode off;
/// - INFERENCE_MODE: made in inference mode (xgrad has no inference mode; never set).
/// Every value but DEFAULT makes an in-place op on the view, recorded in the graph, an
/// AutogradError (as LibTorch's handle_view_on_rebase).
enum class CreationMeta : uint8_t { DEFAULT, IN_CUSTOM_FUNCTION, MULTI_OUTPUT_NODE, NO_GRAD_MODE, INFERENCE_MODE };

/// The creation meta of a view taken of a view whose own is `previous`, when the new view op
/// alone would give `made`: never less restrictive than `previous` (LibTorch's
/// `propagate_creation_meta`).
inline CreationMeta propagate_creation_meta(CreationMeta previous, CreationMeta made) {
  if (made == CreationMeta::DEFAULT) return previous;
  return previous == CreationMeta::INFERENCE_MODE ? previous : made;
}

/// Per-tensor autograd metadata beyond the fields every TensorImpl carries (LibTorch's
/// `torch::autograd::AutogradMeta`; `TensorImpl::autograd_meta()` returns it). In xgrad only
/// views have one (a DifferentiableViewMeta); other tensors have none (nullptr).
struct AutogradMeta {
  AutogradMeta() = default;
  AutogradMeta(const AutogradMeta&) = delete;
  AutogradMeta& operator=(const AutogradMeta&) = delete;
  virtual ~AutogradMeta() = default;
};

/// What autograd knows about a differentiable view (LibTorch's `DifferentiableViewMeta`): the
/// tensor whose storage it views (its base: never itself a view, a view of a view has the first
/// view's base), how it was created, and the base's in-place history version its grad_fn was
/// made at. Every view op xgrad records (view, reshape as a view, slice, select, narrow,
/// transpose, permute, squeeze, unsqueeze, expand, as_strided, alias, and the views a custom
/// Function returns) gives its output one, also when nothing requires grad, so that a later
/// in-place op on the view or on its base can be recorded in the base's history. detach() and
/// tensor_data() outputs are not differentiable views and have none.
struct DifferentiableViewMeta : AutogradMeta {
  DifferentiableViewMeta(Tensor base, CreationMeta creation_meta, uint64_t attr_version)
      : base_(std::move(base)), creation_meta_(creation_meta), attr_version_(attr_version) {}
  /// Always true: xgrad has no forward-mode AD, so every view it tracks is a backward view.
  bool has_bw_view() const { return true; }
  /// The viewed tensor (LibTorch's `get_backward_view().base_`).
  const Tensor& base() const { return base_; }
  CreationMeta get_creation_meta() const { return creation_meta_; }
  void set_creation_meta(CreationMeta creation_meta) { creation_meta_ = creation_meta; }
  /// The storage's `history_version` when the view's grad_fn was last made: when it differs,
  /// the base was modified in place by a recorded op since, and the view's grad_fn is remade
  /// from the base's new history on its next use.
  uint64_t get_attr_version() const { return attr_version_; }
  void set_attr_version(uint64_t attr_version) { attr_version_ = attr_version; }
  /// Non-empty for a view whose history cannot be replayed (the view output of a custom operator
  /// without a derivative, library.hpp): an in-place op on the view, or remaking its grad_fn
  /// after its base changed, throws AutogradError with this message (LibTorch's erroring
  /// view_func).
  const std::string& replay_error() const { return replay_error_; }
  void set_replay_error(std::string message) { replay_error_ = std::move(message); }

 private:
  Tensor base_;
  CreationMeta creation_meta_;
  uint64_t attr_version_;
  std::string replay_error_;
};
}  // namespace autograd

/// What a Tensor handle points at. Users rarely touch this; custom kernels use data_ptr().
struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t storage_offset = 0;  // in elements
  DimVector sizes;
  DimVector strides;  // in elements
  int64_t numel = 0;
  ScalarType dtype = kFloat32;

  // autograd metadata
  bool requires_grad = false;  // meaningful for leaves; non-leaves require grad iff grad_fn
  bool retains_grad = false;
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;
  uint32_t output_nr = 0;
  // A differentiable view's metadata (base, creation meta, history version); null for every
  // other tensor. Set by autograd when a view op's output is wired (see DifferentiableViewMeta).
  std::unique_ptr<autograd::AutogradMeta> autograd_meta_;
  std::weak_ptr<autograd::Node> grad_accumulator;
  // Hooks run by AccumulateGrad after each accumulation; removed ones are left empty so
  // handles (indices) stay valid.
  std::vector<std::function<void(const Tensor&)>> post_accumulate_grad_hooks;
  // register_hook's hooks, run on this tensor's gradient before it is used (removed ones left
  // empty so handles stay valid). A non-leaf is also listed in its grad_fn's hooked_tensors.
  std::vector<std::function<Tensor(const Tensor&)>> grad_hooks;
  // Guards grad_accumulator, a leaf's accumulation into grad and post_accumulate_grad_hooks
  // when several threads run forward/backward through this leaf (LibTorch's AutogradMeta
  // mutex). Recursive: a post-accumulate-grad hook may register hooks or record ops on the leaf.
  std::recursive_mutex autograd_mutex;

  /// LibTorch's `TensorImpl::autograd_meta()`: a DifferentiableViewMeta for a differentiable
  /// view, nullptr otherwise.
  autograd::AutogradMeta* autograd_meta() const { return autograd_meta_.get(); }
  /// The view metadata when this tensor is a differentiable view, nullptr otherwise.
  autograd::DifferentiableViewMeta* view_meta() const {
    return static_cast<autograd::DifferentiableViewMeta*>(autograd_meta_.get());
  }

  void* data() const {
    return static_cast<char*>(storage->data) + storage_offset * static_cast<int64_t>(element_size(dtype));
  }
};

/// Makes a fresh contiguous tensor of the given sizes (uninitialised). Sizes whose element or byte
/// count overflows int64 are a ValueError; a failed allocation is an OutOfMemoryError naming `op`
/// (the op asking for its output; "empty" when not given), the sizes and the bytes.
Tensor make_tensor(IntArrayRef sizes, ScalarType dtype);
Tensor make_tensor(IntArrayRef sizes, ScalarType dtype, const char* op);
/// Makes a tensor viewing `base`'s storage with new sizes/strides/offset (no autograd link).
Tensor make_view(const Tensor& base, IntArrayRef sizes, IntArrayRef strides, int64_t storage_offset);
/// Row-major contiguous strides for `sizes`.
std::vector<int64_t> contiguous_strides(IntArrayRef sizes);

// ---- template definitions --------------------------------------------------------------------

namespace detail {
[[noreturn]] void throw_dtype_mismatch(const char* what, ScalarType requested, ScalarType actual);
// The element as double; a complex element with a nonzero imaginary part is a ValueError.
double read_as_double(const TensorImpl& impl, int64_t offset);
// The element as complex<double>, from any storage dtype.
std::complex<double> read_as_complex(const TensorImpl& impl, int64_t offset);
template <typename T>
inline constexpr bool is_complex_v = std::is_same_v<T, complex<float>> || std::is_same_v<T, complex<double>>;
// The element as int64; a float NaN, infinity or value outside int64 is a ValueError naming `op`.
int64_t read_as_int64(const TensorImpl& impl, int64_t offset, const char* op);
// v as integer type T, or ValueError naming `op` when it does not fit.
template <typename T>
T narrow_int(int64_t v, const char* op) {
  XGRAD_CHECK(std::in_range<T>(v), ValueError, "{}: value {} does not fit the requested integer type", op, v);
  return static_cast<T>(v);
}
void check_defined(const Tensor& t, const char* what);
}  // namespace detail

template <typename T>
T* Tensor::data_ptr() const {
  detail::check_defined(*this, "data_ptr");
  if (scalar_type_of<T>() != impl_->dtype) detail::throw_dtype_mismatch("data_ptr", scalar_type_of<T>(), impl_->dtype);
  return static_cast<T*>(impl_->data());
}

template <typename T>
T Tensor::item() const {
  detail::check_defined(*this, "item");
  XGRAD_CHECK(impl_->numel == 1, ValueError,
              "item: a tensor with {} elements cannot be converted to a scalar (sizes {})", impl_->numel,
              xgrad::to_string(IntArrayRef(impl_->sizes)));
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
    return detail::narrow_int<T>(detail::read_as_int64(*impl_, 0, "item"), "item");
  else if constexpr (detail::is_complex_v<T>)
    return static_cast<T>(detail::read_as_complex(*impl_, 0));
  else
    return static_cast<T>(detail::read_as_double(*impl_, 0));
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  detail::check_defined(*this, "to_vector");
  Tensor c = contiguous();
  std::vector<T> out(static_cast<size_t>(c.numel()));
  for (int64_t i = 0; i < c.numel(); ++i) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
      out[static_cast<size_t>(i)] = detail::narrow_int<T>(detail::read_as_int64(*c.impl_, i, "to_vector"), "to_vector");
    else if constexpr (detail::is_complex_v<T>)
      out[static_cast<size_t>(i)] = static_cast<T>(detail::read_as_complex(*c.impl_, i));
    else
      out[static_cast<size_t>(i)] = static_cast<T>(detail::read_as_double(*c.impl_, i));
  }
  return out;
}

// ---- free-function forms (as `torch::exp(x)`) ----------------------------------------------------

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, const Scalar& b);
Tensor operator-(const Tensor& a, const Scalar& b);
Tensor operator*(const Tensor& a, const Scalar& b);
Tensor operator/(const Tensor& a, const Scalar& b);
Tensor operator+(const Scalar& a, const Tensor& b);
Tensor operator-(const Scalar& a, const Tensor& b);
Tensor operator*(const Scalar& a, const Tensor& b);
Tensor operator/(const Scalar& a, const Tensor& b);
Tensor operator-(const Tensor& a);

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
/// Tensor-Scalar forms (`xgrad::add(x, 1)`, `xgrad::mul(x, 2.5)`), PyTorch's promotion.
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
Tensor mul(const Tensor& a, const Scalar& b);
Tensor div(const Tensor& a, const Scalar& b);
Tensor neg(const Tensor& x);
Tensor pow(const Tensor& x, const Scalar& exponent);
Tensor pow(const Tensor& x, const Tensor& exponent);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor square(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor clamp(const Tensor& x, const std::optional<Scalar>& min, const std::optional<Scalar>& max = std::nullopt);
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
/// Elementwise `cond ? a : b` (differentiable in a and b).
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, IntArrayRef dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, IntArrayRef dims, bool keepdim = false);
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor amax(const Tensor& x, IntArrayRef dims, bool keepdim = false);
Tensor amin(const Tensor& x, IntArrayRef dims, bool keepdim = false);
Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);

Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);

Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Scalar& b);
Tensor ne(const Tensor& a, const Scalar& b);
Tensor lt(const Tensor& a, const Scalar& b);
Tensor le(const Tensor& a, const Scalar& b);
Tensor gt(const Tensor& a, const Scalar& b);
Tensor ge(const Tensor& a, const Scalar& b);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, const Scalar& b);
Tensor operator!=(const Tensor& a, const Scalar& b);
Tensor operator<(const Tensor& a, const Scalar& b);
Tensor operator<=(const Tensor& a, const Scalar& b);
Tensor operator>(const Tensor& a, const Scalar& b);
Tensor operator>=(const Tensor& a, const Scalar& b);
bool equal(const Tensor& a, const Tensor& b);
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);
Tensor isnan(const Tensor& x);

Tensor reshape(const Tensor& x, IntArrayRef sizes);
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor t(const Tensor& x);
Tensor permute(const Tensor& x, IntArrayRef dims);
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
Tensor select(const Tensor& x, int64_t dim, int64_t index);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor cat(TensorList tensors, int64_t dim = 0);
/// A copy of x (`x.clone()`), as `torch::clone`.
Tensor clone(const Tensor& x);
/// A view of x's storage with the given sizes and strides (in elements), starting at
/// `storage_offset` (x's own offset when omitted): element i of the result is storage element
/// storage_offset + sum(i_d * stride[d]). Elements may overlap (stride 0). ShapeError when
/// sizes and strides differ in length, ValueError for a negative size, stride or offset, or
/// when the view reaches past the end of the storage. Differentiable (AsStridedBackward0: the
/// gradient is scattered back through the storage positions; where x's own elements overlap,
/// each gets its share, as PyTorch). PyTorch: `torch.as_strided`.
Tensor as_strided(const Tensor& x, IntArrayRef size, IntArrayRef stride,
                  std::optional<int64_t> storage_offset = std::nullopt);
/// The view reshape() returns when one exists, with the sizes and strides given (LibTorch's
/// private `_reshape_alias`): as as_strided from x's own offset, with the same checks. Its
/// gradient is the incoming gradient reshaped to x's sizes (ReshapeAliasBackward0), so, as in
/// PyTorch, it is meant for sizes with x's number of elements (otherwise backward throws
/// ShapeError).
Tensor _reshape_alias(const Tensor& x, IntArrayRef size, IntArrayRef stride);
Tensor stack(TensorList tensors, int64_t dim = 0);

// ---- ops returning several views (src/ops/shape.cpp) -----------------------------------------
// Their outputs are views of x (is_view(), _base() is x's base) from one autograd node
// (UnbindBackward0, SplitBackward0, SplitWithSizesBackward0): the gradient of x is the outputs'
// gradients put back in place, zeros for an output that got none. As in PyTorch, an output must
// not be modified in place while autograd records (grad mode on; AutogradError "Output 0 of
// UnbindBackward0 is a view and is being modified inplace. This view is the output of a function
// that returns multiple views. ..."), nor used in autograd after x or another view of x was
// modified in place; clone() an output to modify it. Under NoGradGuard they are no_grad views.

/// `x.size(dim)` tensors of x's sizes without `dim`: output i is `x.select(dim, i)`. IndexError
/// when x is 0-D or dim is out of range. PyTorch: `torch.unbind`.
std::vector<Tensor> unbind(const Tensor& x, int64_t dim = 0);
/// x split along `dim` into views of ceil(size / chunks) elements (the last one shorter), so
/// fewer than `chunks` tensors when the size does not allow that many (`chunk(arange(6), 4)`
/// gives sizes 2, 2, 2); `chunks` empty tensors when the size is 0. ValueError when chunks <= 0,
/// IndexError when x is 0-D or dim is out of range. PyTorch: `torch.chunk`.
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);
/// x split along `dim` into views of `split_size` elements, the last one shorter (one tensor,
/// x's size, when split_size >= size). ValueError when split_size < 0, or when it is 0 for a
/// non-empty dim; IndexError when x is 0-D or dim is out of range. PyTorch: `torch.split(x, int)`.
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
/// x split along `dim` into views of `split_sizes[i]` elements. ValueError when an entry is
/// negative or the entries do not sum to x.size(dim); IndexError when x is 0-D or dim is out of
/// range. PyTorch: `torch.split(x, list)`, `torch.split_with_sizes`.
std::vector<Tensor> split(const Tensor& x, IntArrayRef split_sizes, int64_t dim = 0);
std::vector<Tensor> split_with_sizes(const Tensor& x, IntArrayRef split_sizes, int64_t dim = 0);

/// The elements x[..., i, ..., i + offset, ...] of dims (dim1, dim2) (offset > 0: above the main
/// diagonal; < 0: below), as a view with dims dim1 and dim2 removed and the diagonal appended as
/// the last dim, of size max(0, min(size(dim1), size(dim2) - offset)) for offset >= 0 and
/// max(0, min(size(dim1) + offset, size(dim2))) otherwise; its stride is stride(dim1) + stride(dim2).
/// Any offset is allowed (an empty diagonal when it is past the edge). Differentiable
/// (DiagonalBackward0: the gradient written onto the diagonal of zeros; twice differentiable).
/// ValueError when dim1 and dim2 name the same dim, IndexError when either is out of range
/// (x must be at least 2-D). PyTorch: `torch.diagonal`.
Tensor diagonal(const Tensor& x, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
/// Reduces a broadcast gradient back to `sizes` by summing over the broadcast dimensions.
Tensor sum_to(const Tensor& x, IntArrayRef sizes);
/// Shape that `a` and `b` broadcast to (NumPy rules); throws ShapeError naming `op` otherwise.
std::vector<int64_t> broadcast_shapes(IntArrayRef a, IntArrayRef b, const char* op = "broadcast");

// ---- statistics, sorting, gather/scatter, masking (issue 9 item 3) -------------------------------
// Free forms of the Tensor methods above, with LibTorch 1.13's names, overloads and defaults.
// `dim` lists: an empty list reduces over every dimension; a dim outside [-ndim, ndim) or repeated
// is an IndexError naming the op. Undefined tensors are a ValueError.

/// Standard deviation over `dim` (all dims when omitted or empty), dividing by N - correction
/// (`unbiased` = correction 1; correction defaults to 1). N - correction <= 0 gives inf/NaN as
/// PyTorch. Input float32/float64 (else TypeError); result has the input's dtype, sizes with the
/// reduced dims removed (kept as 1 with keepdim). Differentiable twice (StdBackward0; where the
/// result is 0 the gradient is 0, as PyTorch). PyTorch: `torch.std`.
/// (`unbiased` must be a bool: a template, so that `std(x, {1})` and `std(x, 1)` reduce dim 1.)
Tensor std(const Tensor& x, IntArrayRef dim, bool unbiased = true, bool keepdim = false);
Tensor std(const Tensor& x);
template <typename B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
Tensor std(const Tensor& x, B unbiased) {
  return std(x, IntArrayRef{}, unbiased, false);
}
Tensor std(const Tensor& x, IntArrayRef dim, std::optional<int64_t> correction, bool keepdim = false);
/// Variance, as std above without the square root (VarBackward0). PyTorch: `torch.var`.
Tensor var(const Tensor& x, IntArrayRef dim, bool unbiased = true, bool keepdim = false);
Tensor var(const Tensor& x);
template <typename B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
Tensor var(const Tensor& x, B unbiased) {
  return var(x, IntArrayRef{}, unbiased, false);
}
Tensor var(const Tensor& x, IntArrayRef dim, std::optional<int64_t> correction, bool keepdim = false);
/// (std, mean) in one call, as `torch.std_mean`; both outputs share one node (StdMeanBackward0).
std::tuple<Tensor, Tensor> std_mean(const Tensor& x, IntArrayRef dim, bool unbiased = true, bool keepdim = false);
std::tuple<Tensor, Tensor> std_mean(const Tensor& x);
template <typename B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
std::tuple<Tensor, Tensor> std_mean(const Tensor& x, B unbiased) {
  return std_mean(x, IntArrayRef{}, unbiased, false);
}
std::tuple<Tensor, Tensor> std_mean(const Tensor& x, IntArrayRef dim, std::optional<int64_t> correction,
                                    bool keepdim = false);
/// (var, mean), as `torch.var_mean` (VarMeanBackward0).
std::tuple<Tensor, Tensor> var_mean(const Tensor& x, IntArrayRef dim, bool unbiased = true, bool keepdim = false);
std::tuple<Tensor, Tensor> var_mean(const Tensor& x);
template <typename B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
std::tuple<Tensor, Tensor> var_mean(const Tensor& x, B unbiased) {
  return var_mean(x, IntArrayRef{}, unbiased, false);
}
std::tuple<Tensor, Tensor> var_mean(const Tensor& x, IntArrayRef dim, std::optional<int64_t> correction,
                                    bool keepdim = false);
/// Vector p-norm over all elements (`norm(x, p)`) or over `dim`: (sum |x|^p)^(1/p); p = inf is
/// max |x|, -inf min |x|, 0 the count of non-zeros; `p` nullopt means 2. Input float32/float64
/// (else TypeError); result in the input's dtype. Differentiable twice (NormBackward0 without dim,
/// NormBackward1 with; the gradient is 0 where the norm is 0, and ties of an inf-norm share it).
/// PyTorch: `torch.norm` / `Tensor::norm` (aten::norm).
Tensor norm(const Tensor& x, double p = 2);
Tensor norm(const Tensor& x, std::optional<double> p, IntArrayRef dim, bool keepdim = false);
/// log(sum(exp(x))) over `dim`, computed as m + log(sum(exp(x - m))) with m the maximum, so large
/// inputs never overflow. Integral inputs give float32. Differentiable twice (LogsumexpBackward0).
/// PyTorch: `torch.logsumexp`.
Tensor logsumexp(const Tensor& x, IntArrayRef dim, bool keepdim = false);
/// Running sum along `dim` (same sizes). The result dtype is `dtype` when given (x is converted
/// first), else x's dtype, with int64 for int64 and bool inputs; float32 sums accumulate in
/// double. Differentiable twice (CumsumBackward0: the gradient is the reversed running sum).
/// PyTorch: `torch.cumsum`.
Tensor cumsum(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype = std::nullopt);
/// log(1 + x), accurate for small |x| (Log1PBackward0). Integral inputs give float32. `torch.log1p`.
Tensor log1p(const Tensor& x);
/// exp(x) - 1, accurate for small |x| (Expm1Backward0). Integral inputs give float32. `torch.expm1`.
Tensor expm1(const Tensor& x);
/// max(x, min) / min(x, max) elementwise, as clamp with one bound (ClampMinBackward0 /
/// ClampMaxBackward0; the gradient passes where x >= min / x <= max). An int64 x with a
/// fractional bound gives float32; bool is a TypeError. `torch.clamp_min` / `torch.clamp_max`.
Tensor clamp_min(const Tensor& x, double min);
Tensor clamp_max(const Tensor& x, double max);
/// `x` with `value` where the bool `mask` is true (mask and x broadcast together). `value` is a
/// number, or a 0-dim tensor (differentiable too: MaskedFillBackward1). A non-bool mask is a
/// TypeError, a value tensor with dims a ValueError, shapes that do not broadcast a ShapeError.
/// MaskedFillBackward0. PyTorch: `torch.masked_fill`. The in-place `Tensor::masked_fill_` needs
/// the mask to broadcast to x's sizes and is not differentiable (as every in-place update).
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value);
/// out[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (likewise for other dims): out has index's
/// sizes and x's dtype. index must be int64 (TypeError) with x's number of dims and
/// index.size(d) <= x.size(d) for d != dim (ShapeError); an index outside [0, x.size(dim)) is an
/// IndexError. sparse_grad=true is a ValueError (xgrad has no sparse tensors). Differentiable
/// twice (GatherBackward0; its gradient is a scatter_add). PyTorch: `torch.gather`.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index, bool sparse_grad = false);
/// A copy of x with src[i][j][k] added at x[index[i][j][k]][j][k] (dim 0); duplicate indices
/// accumulate. index: int64, x's number of dims, index.size(d) <= src.size(d) for every d and
/// <= x.size(d) for d != dim; src must have x's dtype (TypeError). Errors as gather.
/// Differentiable in x and src (ScatterAddBackward0). PyTorch: `torch.scatter_add`.
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
/// As scatter_add but writing instead of adding (where indices repeat, the last write in
/// row-major order of index wins; PyTorch leaves that order unspecified). With a number, writes
/// that value. Differentiable (ScatterBackward0 in x and src, ScatterBackward1 in x).
/// PyTorch: `torch.scatter`.
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, double value);
/// (values, indices) of x sorted along `dim` (ascending unless `descending`), always stable:
/// equal values keep their order. NaN counts as larger than every number, as PyTorch. indices
/// are int64. Differentiable twice in the values (SortBackward0). PyTorch: `torch.sort`.
std::tuple<Tensor, Tensor> sort(const Tensor& x, int64_t dim = -1, bool descending = false);
std::tuple<Tensor, Tensor> sort(const Tensor& x, std::optional<bool> stable, int64_t dim = -1,
                                bool descending = false);
/// The k largest (or smallest) elements along `dim` and their int64 indices, in sorted order
/// (also with sorted=false); equal values keep their order, NaN counts as largest. k outside
/// [0, x.size(dim)] is a ValueError. Differentiable twice in the values (TopkBackward0).
/// PyTorch: `torch.topk`.
std::tuple<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true);
/// int64 class indices -> int64 one-hot rows: sizes of x plus [num_classes]; num_classes = -1
/// takes max(x) + 1. A non-int64 x is a TypeError; a negative class, a class >= num_classes,
/// num_classes < -1 or inferring from an empty tensor is a ValueError. Not differentiable.
/// PyTorch: `torch.nn.functional.one_hot` (also `xgrad::nn::functional::one_hot`).
Tensor one_hot(const Tensor& x, int64_t num_classes = -1);
// ---- end of the issue 9 item 3 block ----------------------------------------------------------

// ---- LibTorch names (issue 9, names branch; src/ops/elementwise.cpp) ------------------------------
// Undefined tensors are a ValueError naming the op.

/// The Gauss error function, elementwise. Integral or bool input gives float32, else the input's
/// dtype. Differentiable twice (ErfBackward0: 2/sqrt(pi) exp(-x^2)). PyTorch: `torch.erf`.
Tensor erf(const Tensor& x);
/// Elementwise maximum / minimum (LibTorch's `torch::max(a, b)` / `torch::min(a, b)`): the same
/// as maximum / minimum (broadcasting, PyTorch's type promotion, NaN propagates; ties share the
/// gradient). PyTorch: `torch.max(input, other)`.
Tensor max(const Tensor& a, const Tensor& b);
Tensor min(const Tensor& a, const Tensor& b);
/// a - b * floor(a / b): the remainder with the sign of the divisor (Python's `%`), broadcasting,
/// in PyTorch's result type (int64 % int gives int64; a float operand float32/64). An integral
/// division by zero is a ValueError (PyTorch: "ZeroDivisionError"); a floating one gives NaN.
/// Differentiable: RemainderBackward0 (Scalar divisor; the gradient passes unchanged) and
/// RemainderBackward1 (tensor divisor gets -grad * floor(a / b)); twice (the second derivative
/// is 0). `a % b` is remainder, as in LibTorch. PyTorch: `torch.remainder`.
Tensor remainder(const Tensor& a, const Scalar& b);
Tensor remainder(const Tensor& a, const Tensor& b);
Tensor operator%(const Tensor& a, const Scalar& b);
Tensor operator%(const Tensor& a, const Tensor& b);
/// C's fmod: a - b * trunc(a / b), the remainder with the sign of the dividend. Types, errors
/// and gradients as remainder (FmodBackward0 / FmodBackward1, with trunc). PyTorch: `torch.fmod`.
Tensor fmod(const Tensor& a, const Scalar& b);
Tensor fmod(const Tensor& a, const Tensor& b);
/// kBool, x's sizes: whether each element is +-inf (isinf) / neither inf nor NaN (isfinite);
/// integral and bool elements are always finite. Not differentiable. `torch.isinf` / `torch.isfinite`.
Tensor isinf(const Tensor& x);
Tensor isfinite(const Tensor& x);
/// A 0-dim kBool tensor: true when every (all) / some (any) element is non-zero; NaN is
/// non-zero. An empty tensor gives true (all) / false (any). With `dim`: reduced along it (kBool,
/// the dim removed unless keepdim; a dim out of range is an IndexError). `torch.all` / `torch.any`.
Tensor all(const Tensor& x);
Tensor any(const Tensor& x);
Tensor all(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor any(const Tensor& x, int64_t dim, bool keepdim = false);
/// x tiled `repeats[d]` times along each dim d: sizes [r0 * s0, r1 * s1, ...]; when repeats has
/// more entries than x has dims, x gets leading dims of size 1 first. Fewer repeats than dims
/// or a negative repeat is a ValueError. Always a copy. Differentiable twice (built from
/// expand and reshape, so its graph shows ReshapeAlias/View and Expand nodes where PyTorch's
/// has one RepeatBackward0; the gradients are the same: the sum over the tiles).
/// PyTorch: `Tensor.repeat`.
Tensor repeat(const Tensor& x, IntArrayRef repeats);
/// A view of x with the same sizes, strides and storage (a write through either shows in the
/// other), differentiable as a view of x. PyTorch: `torch.alias` (its node is AliasBackward0;
/// xgrad's graph shows the slice node it is made with).
Tensor alias(const Tensor& x);
/// beta * self + alpha * (mat1 @ mat2): mat1 [n, m], mat2 [m, p] (2-D, else ShapeError; inner
/// sizes must match), self broadcastable to [n, p] (else ShapeError); the result is [n, p].
/// beta = 0 ignores self's values (NaN in self does not propagate), as PyTorch. Floating
/// dtypes. Differentiable twice (composed of mm, mul and add, so the graph shows those nodes
/// instead of PyTorch's AddmmBackward0; same gradients). PyTorch: `torch.addmm`.
Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2, const Scalar& beta = 1,
             const Scalar& alpha = 1);
// ---- end of the LibTorch names block ---------------------------------------------------------

// ---- factories -----------------------------------------------------------------------------------

Tensor empty(IntArrayRef sizes, TensorOptions options = {});
Tensor zeros(IntArrayRef sizes, TensorOptions options = {});
Tensor ones(IntArrayRef sizes, TensorOptions options = {});
Tensor full(IntArrayRef sizes, double value, TensorOptions options = {});
/// An integer fill value gives kInt64 (a bool kBool) unless options give a dtype, as PyTorch.
template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
Tensor full(IntArrayRef sizes, I value, TensorOptions options = {}) {
  if (!options.has_dtype()) options = options.dtype(std::is_same_v<I, bool> ? kBool : kInt64);
  return full(sizes, static_cast<double>(value), options);
}
Tensor empty_like(const Tensor& x, std::optional<TensorOptions> options = std::nullopt);
Tensor zeros_like(const Tensor& x, std::optional<TensorOptions> options = std::nullopt);
Tensor ones_like(const Tensor& x, std::optional<TensorOptions> options = std::nullopt);
Tensor full_like(const Tensor& x, double value, std::optional<TensorOptions> options = std::nullopt);
Tensor rand_like(const Tensor& x, std::optional<TensorOptions> options = std::nullopt);
Tensor randn_like(const Tensor& x, std::optional<TensorOptions> options = std::nullopt);
namespace detail {
Tensor arange_impl(double start, double end, double step, bool integral_args, std::optional<TensorOptions> options);
template <typename... A>
inline constexpr bool all_arithmetic = (std::is_arithmetic_v<A> && ...);
template <typename... A>
inline constexpr bool all_integral = (std::is_integral_v<A> && ...);
}  // namespace detail

/// `[0, end)`. As in PyTorch the dtype follows the argument types: `arange(5)` is kInt64,
/// `arange(5.0)` kFloat32, unless options give one.
template <typename E, std::enable_if_t<detail::all_arithmetic<E>, int> = 0>
Tensor arange(E end, std::optional<TensorOptions> options = std::nullopt) {
  return detail::arange_impl(0.0, static_cast<double>(end), 1.0, detail::all_integral<E>, options);
}
/// `[start, end)` with step 1.
template <typename S, typename E, std::enable_if_t<detail::all_arithmetic<S, E>, int> = 0>
Tensor arange(S start, E end, std::optional<TensorOptions> options = std::nullopt) {
  return detail::arange_impl(static_cast<double>(start), static_cast<double>(end), 1.0, detail::all_integral<S, E>,
                             options);
}
/// `start, start + step, ...` below `end` (above it for a negative step).
template <typename S, typename E, typename St, std::enable_if_t<detail::all_arithmetic<S, E, St>, int> = 0>
Tensor arange(S start, E end, St step, std::optional<TensorOptions> options = std::nullopt) {
  return detail::arange_impl(static_cast<double>(start), static_cast<double>(end), static_cast<double>(step),
                             detail::all_integral<S, E, St>, options);
}
Tensor linspace(double start, double end, int64_t steps, TensorOptions options = {});
Tensor eye(int64_t n, TensorOptions options = {});
/// Uniform on [0, 1).
Tensor rand(IntArrayRef sizes, TensorOptions options = {});
/// Standard normal.
Tensor randn(IntArrayRef sizes, TensorOptions options = {});
/// Uniform integers in [low, high); kInt64 by default.
Tensor randint(int64_t low, int64_t high, IntArrayRef sizes, TensorOptions options = kInt64);
Tensor randint(int64_t high, IntArrayRef sizes, TensorOptions options = kInt64);
/// A random permutation of 0..n-1 (kInt64).
Tensor randperm(int64_t n, TensorOptions options = kInt64);
/// Seeds the global generator; every random result after it is reproducible.
void manual_seed(uint64_t seed);

/// Wraps user memory without copying; the memory must outlive the tensor (as LibTorch).
Tensor from_blob(void* data, IntArrayRef sizes, TensorOptions options = {});
Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, TensorOptions options = {});
/// As above, and `deleter(data)` is called once, when the last tensor (or StorageHandle) sharing
/// the memory is destroyed, as LibTorch's `from_blob(data, sizes, deleter, options)`. The
/// deleter must not throw (it runs in a destructor; an exception escaping it terminates).
/// When from_blob itself throws (bad sizes, strides, alignment), the deleter is not called.
Tensor from_blob(void* data, IntArrayRef sizes, const std::function<void(void*)>& deleter, TensorOptions options = {});
Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, const std::function<void(void*)>& deleter,
                 TensorOptions options = {});
/// Copies `values` into a new tensor of the given sizes (1-D when sizes are omitted).
Tensor from_vector(const std::vector<float>& values, std::optional<std::vector<int64_t>> sizes = std::nullopt,
                   TensorOptions options = {});
Tensor from_vector(const std::vector<double>& values, std::optional<std::vector<int64_t>> sizes = std::nullopt,
                   TensorOptions options = kFloat64);
Tensor from_vector(const std::vector<int64_t>& values, std::optional<std::vector<int64_t>> sizes = std::nullopt,
                   TensorOptions options = kInt64);

std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace xgrad
