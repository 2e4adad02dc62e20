// Tensor handle basics: storage, metadata, copies, dtype conversion and autograd accessors.
// Math lives in src/ops/, one file per op family.

#include <xgrad/autograd/engine.hpp>
#include <xgrad/autograd/function.hpp>
#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/autograd/node.hpp>
#include <xgrad/tensor.hpp>
#include <xgrad/warning.hpp>

#include <xtensor/xstorage.hpp>

#include "core/allocator.hpp"
#include "core/checked.hpp"
#include "core/dispatch.hpp"
#include "core/factory_internal.hpp"
#include "core/strided.hpp"
#include "core/tensor_internal.hpp"
#include "autograd/views.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

namespace xgrad {

namespace {

// Owned storage is an xtensor uninitialised vector with 64-byte alignment: SIMD kernels may use
// aligned loads at the start of a fresh tensor, and nothing pays for zero-filling. Its memory
// comes from the storage allocator, which reuses large blocks (core/allocator.hpp).
struct OwnedStorage final : Storage {
  explicit OwnedStorage(size_t n) : buffer(n) {
    data = buffer.data();
    nbytes = n;
  }
  xt::uvector<unsigned char, detail::StorageAllocator<unsigned char>> buffer;
};

}  // namespace

namespace detail {
int64_t wrap_dim(int64_t d, int64_t ndim, const char* op) {
  const int64_t lo = ndim == 0 ? -1 : -ndim;
  const int64_t hi = ndim == 0 ? 0 : ndim - 1;
  XGRAD_CHECK(d >= lo && d <= hi, IndexError, "{}: dimension {} out of range for a {}-D tensor (expected [{}, {}])", op,
              d, ndim, lo, hi);
  return d < 0 ? d + std::max<int64_t>(ndim, 1) : d;
}
}  // namespace detail


std::shared_ptr<Storage> allocate_storage(size_t nbytes) {
  // Never a zero-size allocation: data() stays a valid pointer for empty tensors.
  try {
    return std::make_shared<OwnedStorage>(std::max<size_t>(nbytes, 1));
  } catch (const std::bad_alloc&) {
    XGRAD_THROW(OutOfMemoryError, "allocate_storage: out of memory asking for {} bytes", nbytes);
  } catch (const std::length_error&) {  // xtensor's vector refuses sizes above its max_size()
    XGRAD_THROW(OutOfMemoryError, "allocate_storage: out of memory asking for {} bytes", nbytes);
  }
}

std::string to_string(IntArrayRef sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(sizes[i]);
  }
  return s + "]";
}

std::string_view dtype_name(ScalarType t) {
  switch (t) {
    case ScalarType::Float: return "float32";
    case ScalarType::Double: return "float64";
    case ScalarType::Long: return "int64";
    case ScalarType::Bool: return "bool";
    case ScalarType::Int: return "int32";
    case ScalarType::Byte: return "uint8";
    case ScalarType::Char: return "int8";
    case ScalarType::Short: return "int16";
    case ScalarType::Half: return "float16";
    case ScalarType::BFloat16: return "bfloat16";
    case ScalarType::ComplexFloat: return "complex64";
    case ScalarType::ComplexDouble: return "complex128";
  }
  // Only a value cast from outside the enum gets here.
  XGRAD_THROW(ValueError, "dtype_name: {} is not a ScalarType value", static_cast<int>(t));
}

size_t element_size(ScalarType t) {
  switch (t) {
    case ScalarType::Float: return 4;
    case ScalarType::Double: return 8;
    case ScalarType::Long: return 8;
    case ScalarType::Bool: return 1;
    case ScalarType::Int: return 4;
    case ScalarType::Byte: return 1;
    case ScalarType::Char: return 1;
    case ScalarType::Short: return 2;
    case ScalarType::Half: return 2;
    case ScalarType::BFloat16: return 2;
    case ScalarType::ComplexFloat: return 8;
    case ScalarType::ComplexDouble: return 16;
  }
  XGRAD_THROW(ValueError, "element_size: {} is not a ScalarType value", static_cast<int>(t));
}

namespace {
// A process-wide setting, as PyTorch's; atomic so that threads reading it while another sets it
// see one value or the other.
std::atomic<ScalarType> g_default_dtype{ScalarType::Float};
}  // namespace

TypeMeta get_default_dtype() { return TypeMeta::fromScalarType(g_default_dtype.load(std::memory_order_relaxed)); }
ScalarType get_default_dtype_as_scalartype() { return g_default_dtype.load(std::memory_order_relaxed); }
void set_default_dtype(TypeMeta dtype) {
  const ScalarType t = dtype.toScalarType();
  // TypeError, as PyTorch's torch.set_default_dtype(torch.int32).
  XGRAD_CHECK(t == kFloat32 || t == kFloat64, TypeError,
              "set_default_dtype: only floating-point types are supported as the default type (xgrad accepts "
              "float32 and float64), got {}",
              is_supported(t) || is_floating_point(t) || is_complex(t) ? dtype_name(t) : std::string_view("?"));
  g_default_dtype.store(t, std::memory_order_relaxed);
}

namespace detail {
void throw_unsupported_dtype(ScalarType t, const char* op) {
  const bool named = static_cast<int>(t) >= 0 && static_cast<int>(t) <= static_cast<int>(ScalarType::ComplexDouble);
  XGRAD_CHECK(named, ValueError, "{}: {} is not a ScalarType value", op, static_cast<int>(t));
  XGRAD_CHECK(!is_complex(t), TypeError,
              "{}: \"{}\" not implemented for {} tensors (xgrad stores complex tensors and creates, converts, "
              "views, indexes, compares and prints them, but computes only with real dtypes)",
              op, op, dtype_name(t));
  XGRAD_THROW(TypeError,
              "{}: {} tensors are not supported by xgrad; use kFloat32 (xgrad stores float32, float64, int64, "
              "int32, int16, int8, uint8 and bool; complex64/complex128 with few ops)",
              op, dtype_name(t));
}
}  // namespace detail

std::vector<int64_t> broadcast_shapes(IntArrayRef a, IntArrayRef b, const char* op) {
  return detail::broadcast_shapes_impl(a, b, op).vec();
}

namespace {
// The row-major strides of `sizes` into `strides` (any container with resize and operator[]).
template <typename V>
void fill_contiguous_strides(IntArrayRef sizes, V& strides) {
  strides.resize(sizes.size());
  int64_t s = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    strides[i] = s;
    // A size-0 dimension counts as 1 (PyTorch's convention); the product must still fit int64
    // (zeros({0, MAX, MAX}) would otherwise get a wrapped stride).
    s = detail::checked_mul(s, std::max<int64_t>(sizes[i], 1), "contiguous_strides", "stride");
  }
}
}  // namespace

std::vector<int64_t> contiguous_strides(IntArrayRef sizes) {
  std::vector<int64_t> strides;
  fill_contiguous_strides(sizes, strides);
  return strides;
}

Tensor make_tensor(IntArrayRef sizes, ScalarType dtype) { return make_tensor(sizes, dtype, "empty"); }

Tensor make_tensor(IntArrayRef sizes, ScalarType dtype, const char* op) {
  if (!is_supported(dtype)) detail::throw_unsupported_dtype(dtype, op);
  auto impl = std::make_shared<TensorImpl>();
  impl->numel = detail::checked_numel(sizes, op);
  const size_t nbytes = detail::checked_nbytes(impl->numel, element_size(dtype), sizes, op);
  impl->sizes = sizes;
  fill_contiguous_strides(sizes, impl->strides);
  impl->dtype = dtype;
  try {
    impl->storage = allocate_storage(nbytes);
  } catch (const OutOfMemoryError&) {
    XGRAD_THROW(OutOfMemoryError, "{}: out of memory allocating a {} tensor of sizes {} ({} bytes, {:.1f} GiB)", op,
                dtype_name(dtype), to_string(sizes), nbytes, static_cast<double>(nbytes) / (1 << 30));
  }
  return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& base, IntArrayRef sizes, IntArrayRef strides, int64_t storage_offset) {
  detail::check_defined(base, "make_view");
  XGRAD_CHECK(sizes.size() == strides.size(), ShapeError, "make_view: {} sizes {} but {} strides {}", sizes.size(),
              to_string(sizes), strides.size(), to_string(strides));
  // Every element the view can reach must lie inside the base's storage: a view past its end
  // would read and write freed or foreign memory.
  const int64_t numel = detail::checked_numel(sizes, "make_view");
  if (numel > 0) {
    int64_t lo = storage_offset, hi = storage_offset;
    for (size_t d = 0; d < sizes.size(); ++d) {
      XGRAD_CHECK(strides[d] >= 0, ValueError, "make_view: negative stride {} at dimension {} (strides {})", strides[d],
                  d, to_string(strides));
      hi += (sizes[d] - 1) * strides[d];
    }
    const auto capacity = static_cast<int64_t>(base.impl()->storage->nbytes / element_size(base.dtype()));
    XGRAD_CHECK(lo >= 0 && hi < capacity, IndexError,
                "make_view: sizes {} with strides {} at offset {} reach element {}, past the storage's {} elements",
                to_string(sizes), to_string(strides), storage_offset, hi, capacity);
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl()->storage;
  impl->storage_offset = storage_offset;
  impl->sizes = sizes;
  impl->strides = strides;
  impl->numel = detail::checked_numel(sizes, "view");
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

namespace detail {

void check_defined(const Tensor& t, const char* what) {
  XGRAD_CHECK(t.defined(), ValueError, "{}: called on an undefined tensor", what);
}

void throw_dtype_mismatch(const char* what, ScalarType requested, ScalarType actual) {
  XGRAD_THROW(TypeError, "{}: requested element type {} but the tensor holds {}", what, dtype_name(requested),
              dtype_name(actual));
}

namespace {
// Offset `i` counts elements in row-major order of the (possibly strided) tensor.
int64_t physical_offset(const TensorImpl& impl, int64_t i) {
  int64_t off = 0;
  for (size_t d = impl.sizes.size(); d-- > 0;) {
    const int64_t s = impl.sizes[d];
    off += (i % s) * impl.strides[d];
    i /= s;
  }
  return off;
}
}  // namespace

// Complex elements read as the real values do: a complex number is a real one only when its
// imaginary part is 0 (LibTorch's "cannot be converted to type double without overflow").
namespace {
template <typename C>
double complex_as_real(const C& v, const char* op, const char* type) {
  XGRAD_CHECK(v.imag() == 0, ValueError,
              "{}: value cannot be converted to type {} without overflow: ({}, {}) has a nonzero imaginary part "
              "(read it with item<xgrad::complex<double>>())",
              op, type, v.real(), v.imag());
  return static_cast<double>(v.real());
}
}  // namespace

double read_as_double(const TensorImpl& impl, int64_t i) {
  const int64_t off = physical_offset(impl, i);
  if (impl.dtype == kComplexFloat) return complex_as_real(static_cast<const complex<float>*>(impl.data())[off], "item", "double");
  if (impl.dtype == kComplexDouble) return complex_as_real(static_cast<const complex<double>*>(impl.data())[off], "item", "double");
  return dispatch_all(impl.dtype, "item", [&]<typename T>() {
    return static_cast<double>(static_cast<const T*>(impl.data())[off]);
  });
}

std::complex<double> read_as_complex(const TensorImpl& impl, int64_t i) {
  const int64_t off = physical_offset(impl, i);
  if (impl.dtype == kComplexFloat) return std::complex<double>(static_cast<const complex<float>*>(impl.data())[off]);
  if (impl.dtype == kComplexDouble) return static_cast<const complex<double>*>(impl.data())[off];
  return dispatch_all(impl.dtype, "item", [&]<typename T>() {
    return std::complex<double>(static_cast<double>(static_cast<const T*>(impl.data())[off]), 0.0);
  });
}

int64_t read_as_int64(const TensorImpl& impl, int64_t i, const char* op) {
  if (is_complex(impl.dtype)) {
    const double v = complex_as_real(read_as_complex(impl, i), op, "int64");
    XGRAD_CHECK(v >= -9223372036854775808.0 && v < 9223372036854775808.0, ValueError,
                "{}: value {} cannot be converted to an integer (NaN, infinite or out of int64 range)", op, v);
    return static_cast<int64_t>(v);
  }
  const int64_t off = physical_offset(impl, i);
  return dispatch_all(impl.dtype, op, [&]<typename T>() {
    const T v = static_cast<const T*>(impl.data())[off];
    if constexpr (std::is_floating_point_v<T>) {
      XGRAD_CHECK(v >= T(-9223372036854775808.0) && v < T(9223372036854775808.0), ValueError,
                  "{}: value {} cannot be converted to an integer (NaN, infinite or out of int64 range)", op, v);
    }
    return static_cast<int64_t>(v);
  });
}

}  // namespace detail

// ---- metadata ---------------------------------------------------------------------------------

#define XGRAD_IMPL(what) (detail::check_defined(*this, what), impl_)

int64_t Tensor::dim() const { return static_cast<int64_t>(XGRAD_IMPL("dim")->sizes.size()); }
int64_t Tensor::numel() const { return XGRAD_IMPL("numel")->numel; }
IntArrayRef Tensor::sizes() const { return XGRAD_IMPL("sizes")->sizes; }
std::vector<int64_t> Tensor::shape() const { return XGRAD_IMPL("shape")->sizes.vec(); }
IntArrayRef Tensor::strides() const { return XGRAD_IMPL("strides")->strides; }
int64_t Tensor::size(int64_t d) const {
  const auto& s = XGRAD_IMPL("size")->sizes;
  XGRAD_CHECK(!s.empty(), IndexError, "size: a 0-D tensor has no dimension {}", d);
  return s[static_cast<size_t>(detail::wrap_dim(d, dim(), "size"))];
}
int64_t Tensor::stride(int64_t d) const {
  const auto& s = XGRAD_IMPL("stride")->strides;
  XGRAD_CHECK(!s.empty(), IndexError, "stride: a 0-D tensor has no dimension {}", d);
  return s[static_cast<size_t>(detail::wrap_dim(d, dim(), "stride"))];
}
int64_t Tensor::storage_offset() const { return XGRAD_IMPL("storage_offset")->storage_offset; }
ScalarType Tensor::dtype() const { return XGRAD_IMPL("dtype")->dtype; }
TensorOptions Tensor::options() const { return TensorOptions(XGRAD_IMPL("options")->dtype); }
size_t Tensor::element_size() const { return xgrad::element_size(XGRAD_IMPL("element_size")->dtype); }
uint64_t Tensor::_version() const { return XGRAD_IMPL("_version")->storage->version; }

bool Tensor::is_contiguous() const {
  const auto& impl = *XGRAD_IMPL("is_contiguous");
  // No elements, no layout to respect: any strides are contiguous (as PyTorch).
  if (impl.numel == 0) return true;
  int64_t expected = 1;
  for (size_t d = impl.sizes.size(); d-- > 0;) {
    if (impl.sizes[d] == 1) continue;
    if (impl.strides[d] != expected) return false;
    expected *= impl.sizes[d];
  }
  return true;
}

// ---- copies and conversion ----------------------------------------------------------------------

namespace {

// dst[i] = convert(src[i]) over equal sizes, any strides, any dtypes (the complex ones too).
void copy_convert(const Tensor& dst, const Tensor& src, const char* op) {
  const auto& d = *dst.impl();
  const auto& s = *src.impl();
  const std::array<const int64_t*, 2> strides{d.strides.data(), s.strides.data()};
  // PyTorch keeps the real part (with a warning). xgrad refuses: ops that compute integers in a
  // floating dtype convert their input with to(), and a complex input must not reach them as
  // its real part, a plausible wrong value.
  XGRAD_CHECK(!(is_complex(s.dtype) && !is_complex(d.dtype)), TypeError,
              "{}: converting {} to {} would discard the imaginary part; xgrad refuses it (PyTorch warns and keeps "
              "the real part)",
              op, dtype_name(s.dtype), dtype_name(d.dtype));
  detail::dispatch_storage(d.dtype, "copy_", [&]<typename D>() {
    detail::dispatch_storage(s.dtype, "copy_", [&]<typename S>() {
      D* out = static_cast<D*>(d.data());
      const S* in = static_cast<const S*>(s.data());
      if constexpr (std::is_same_v<D, S>) {
        if (dst.is_contiguous() && src.is_contiguous()) {
          std::memcpy(static_cast<void*>(out), in, static_cast<size_t>(d.numel) * sizeof(D));
          return;
        }
      }
      detail::for_each_row<2>(d.sizes, strides, [&](const auto& base, int64_t n, const auto& step) {
        D* o = out + base[0];
        const S* p = in + base[1];
        if constexpr (detail::is_complex_element_v<D>) {
          // Real to complex: the value with imaginary part 0; complex to complex: rounded parts.
          for (int64_t i = 0; i < n; ++i) {
            if constexpr (detail::is_complex_element_v<S>)
              o[i * step[0]] = static_cast<D>(p[i * step[1]]);
            else
              o[i * step[0]] = D(static_cast<typename D::value_type>(p[i * step[1]]), 0);
          }
        } else if constexpr (detail::is_complex_element_v<S>) {
          // Complex to real: refused above.
        } else if constexpr (std::is_floating_point_v<S> && detail::is_int_v<D>) {
          // A NaN, an infinity or a value outside D's range has no D value (the cast would be
          // undefined behaviour; PyTorch's result is platform-dependent): refuse it. In range,
          // the conversion truncates toward zero, as PyTorch.
          for (int64_t i = 0; i < n; ++i) {
            const S v = p[i * step[1]];
            XGRAD_CHECK(detail::fits_after_trunc<D>(static_cast<double>(v)), ValueError,
                        "{}: value {} cannot be converted to {} (NaN, infinite or out of range)", op, v,
                        dtype_name(scalar_type_of<D>()));
            o[i * step[0]] = static_cast<D>(v);
          }
        } else {
          for (int64_t i = 0; i < n; ++i) o[i * step[0]] = static_cast<D>(p[i * step[1]]);
        }
      });
    });
  });
}

}  // namespace

Tensor Tensor::contiguous() const {
  detail::check_defined(*this, "contiguous");
  if (is_contiguous()) return *this;
  return clone();
}

// clone and to() are differentiable: they record a node that passes the gradient through.
namespace {
struct CloneOp : autograd::Function<CloneOp> {
  static std::string_view name() { return "CloneBackward0"; }
  static Tensor forward(AutogradContext*, const Tensor& x) {
    Tensor out = make_tensor(x.sizes(), x.dtype(), "clone");
    copy_convert(out, x, "clone");
    return out;
  }
  static autograd::variable_list backward(AutogradContext*, autograd::variable_list g) { return {g[0]}; }
};

struct ToCopyOp : autograd::Function<ToCopyOp> {
  static std::string_view name() { return "ToCopyBackward0"; }
  struct State {
    ScalarType input_dtype;  // the gradient goes back to it
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& x, ScalarType dtype) {
    ctx->emplace_state<State>(x.dtype());
    Tensor out = make_tensor(x.sizes(), dtype, "to");
    copy_convert(out, x, "to");
    return out;
  }
  static autograd::variable_list backward(AutogradContext* ctx, autograd::variable_list g) {
    return {g[0].to(ctx->state<State>().input_dtype), Tensor()};
  }
};
}  // namespace

namespace {
// copy_'s graph node when recorded (LibTorch's CopyBackwards): the result is src broadcast to
// self's sizes in self's dtype; self's old values get no gradient (they are overwritten), src
// gets the gradient summed back to its sizes, in its dtype.
struct CopyOp : autograd::Function<CopyOp> {
  static std::string_view name() { return "CopyBackwards"; }
  struct State {
    std::vector<int64_t> src_sizes;
    ScalarType src_dtype;
  };
  static Tensor forward(AutogradContext* ctx, const Tensor& self, const Tensor& src) {
    ctx->emplace_state<State>(State{src.sizes().vec(), src.dtype()});
    Tensor out = make_tensor(self.sizes(), self.dtype(), "copy_");
    const Tensor source = make_view(src, self.sizes(), detail::broadcast_strides(src, self.sizes()), src.storage_offset());
    copy_convert(out, source, "copy_");
    return out;
  }
  static autograd::variable_list backward(AutogradContext* ctx, autograd::variable_list g) {
    const State& s = ctx->state<State>();
    Tensor gs;
    if (ctx->needs_input_grad(1)) gs = sum_to(g[0], s.src_sizes).to(s.src_dtype);
    return {ctx->needs_input_grad(0) ? zeros_like(g[0]) : Tensor(), gs};
  }
};
}  // namespace

Tensor Tensor::clone() const {
  detail::check_defined(*this, "clone");
  return CloneOp::apply(*this);
}

Tensor Tensor::to(ScalarType dtype, bool /*non_blocking*/, bool copy) const {
  detail::check_defined(*this, "to");
  if (dtype == this->dtype() && !copy) return *this;
  if (requires_grad() && GradMode::is_enabled())
    XGRAD_CHECK(xgrad::is_floating_point(dtype), TypeError,
                "to: cannot convert a tensor that requires grad to {} (only floating types carry gradients)",
                dtype_name(dtype));
  return ToCopyOp::apply(*this, dtype);
}

Tensor Tensor::to(const Tensor& other, bool non_blocking, bool copy) const {
  detail::check_defined(*this, "to");
  detail::check_defined(other, "to");
  return to(other.dtype(), non_blocking, copy);
}

Device Tensor::device() const {
  detail::check_defined(*this, "device");
  return Device(kCPU);
}
bool Tensor::is_cpu() const {
  detail::check_defined(*this, "is_cpu");
  return true;
}
bool Tensor::is_cuda() const {
  detail::check_defined(*this, "is_cuda");
  return false;
}
Tensor Tensor::cpu() const {
  detail::check_defined(*this, "cpu");
  return *this;
}

Tensor Tensor::to(Device device, ScalarType dtype, bool non_blocking, bool copy) const {
  detail::check_defined(*this, "to");
  detail::check_cpu_device(device, "to");
  return to(dtype, non_blocking, copy);
}

namespace detail {
DimVector broadcast_strides(const Tensor& t, IntArrayRef shape) {
  const auto& sz = t.sizes();
  const auto& st = t.strides();
  const size_t lead = shape.size() - sz.size();
  DimVector out(shape.size(), 0);
  for (size_t i = 0; i < sz.size(); ++i) out[lead + i] = sz[i] == 1 && shape[lead + i] != 1 ? 0 : st[i];
  return out;
}

DimVector broadcast_shapes_impl(IntArrayRef a, IntArrayRef b, const char* op) {
  const size_t n = std::max(a.size(), b.size());
  DimVector out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    XGRAD_CHECK(da == db || da == 1 || db == 1, ShapeError,
                "{}: shapes {} and {} cannot be broadcast (dimension {}: {} vs {})", op, to_string(a), to_string(b),
                i, da, db);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {
// The in-place writes PyTorch forbids whether or not the op is recorded (LibTorch's
// check_inplace): into a view whose creation meta forbids it (made under no_grad, returned by a
// custom Function, one of several outputs), into a view of a leaf that requires grad, and into
// a leaf that requires grad (PyTorch's errors, in its words).
void check_inplace_target(const Tensor& self, const char* op) {
  const TensorImpl& impl = *self.impl();
  if (const auto* view = impl.view_meta()) {
    autograd::detail::check_view_rebase(impl, /*indirect=*/false, op);
    XGRAD_CHECK(!(self.requires_grad() && view->base().is_leaf()), AutogradError,
                "{}: a view of a leaf Variable that requires grad is being used in an in-place operation (sizes "
                "{}); wrap parameter updates in xgrad::NoGradGuard, or modify a clone",
                op, xgrad::to_string(self.sizes()));
  }
  XGRAD_CHECK(!(self.is_leaf() && impl.requires_grad), AutogradError,
              "{}: a leaf Variable that requires grad is being used in an in-place operation (sizes {}); wrap "
              "parameter updates in xgrad::NoGradGuard or use an out-of-place op",
              op, xgrad::to_string(self.sizes()));
}
}  // namespace

void check_inplace(const Tensor& self, const char* op) {
  check_defined(self, op);
  if (GradMode::is_enabled() && self.requires_grad()) {
    check_inplace_target(self, op);
    // A non-leaf: PyTorch records the op in the graph; xgrad records the ops that call
    // inplace_records instead of this function.
    XGRAD_THROW(AutogradError,
                "{}: in-place operation on a non-leaf tensor that requires grad (sizes {}) is not recorded by "
                "xgrad's autograd for this op (PyTorch records it in the graph); use the out-of-place op",
                op, xgrad::to_string(self.sizes()));
  }
}

bool inplace_records(const Tensor& self, const char* op, TensorList operands) {
  check_defined(self, op);
  if (!GradMode::is_enabled()) return false;
  bool any = self.requires_grad();
  for (const auto& t : operands) any = any || (t.defined() && t.requires_grad());
  if (!any) return false;
  check_inplace_target(self, op);
  // Writing into a view changes its base too: rebase_history rewrites the base's history
  // (CopySlices), which needs each view element to be one of the base's.
  autograd::detail::check_view_geometry(self, op);
  XGRAD_CHECK(self.is_floating_point(), TypeError,
              "{}: an in-place op on a {} tensor from an operand that requires grad cannot be differentiated; "
              "only floating-point tensors carry gradients",
              op, dtype_name(self.dtype()));
  return true;
}
namespace {
bool has_internal_overlap(const TensorImpl& impl) {
  if (impl.numel <= 1) return false;
  // (stride, size) of the dimensions of size > 1; inline storage, as every in-place op asks.
  struct Dim {
    int64_t stride, size;
    bool operator<(const Dim& o) const { return stride != o.stride ? stride < o.stride : size < o.size; }
  };
  SmallVector<Dim, 6> dims;
  for (size_t d = 0; d < impl.sizes.size(); ++d) {
    if (impl.sizes[d] <= 1) continue;
    if (impl.strides[d] == 0) return true;
    dims.push_back(Dim{impl.strides[d] < 0 ? -impl.strides[d] : impl.strides[d], impl.sizes[d]});
  }
  // Sufficient for no overlap: sorted by stride, each stride jumps past the whole span of the
  // smaller dimensions (every dense or sliced layout passes here).
  std::sort(dims.begin(), dims.end());
  bool separated = true;
  int64_t span = 0;
  for (const auto& [stride, size] : dims) {
    if (stride <= span) {
      separated = false;
      break;
    }
    span += (size - 1) * stride;  // < the storage size, which fits in int64
  }
  if (separated) return false;
  // Interleaved strides (only from_blob can make them): list the offsets and look for a repeat.
  // Linear in the number of elements, as the write itself.
  std::vector<int64_t> offsets;
  offsets.reserve(static_cast<size_t>(impl.numel));
  std::vector<int64_t> index(dims.size(), 0);
  int64_t off = 0;
  for (int64_t i = 0; i < impl.numel; ++i) {
    offsets.push_back(off);
    for (size_t d = 0; d < dims.size(); ++d) {
      if (++index[d] < dims[d].size) {
        off += dims[d].stride;
        break;
      }
      off -= (dims[d].size - 1) * dims[d].stride;
      index[d] = 0;
    }
  }
  std::sort(offsets.begin(), offsets.end());
  return std::adjacent_find(offsets.begin(), offsets.end()) != offsets.end();
}
}  // namespace

void check_no_internal_overlap(const Tensor& self, const char* op) {
  XGRAD_CHECK(!has_internal_overlap(*self.impl()), ValueError,
              "{}: unsupported operation: more than one element of the written-to tensor (sizes {}, strides {}) "
              "refers to a single memory location. Please clone() the tensor before performing the operation.",
              op, xgrad::to_string(self.sizes()), xgrad::to_string(self.strides()));
}

void bump_version(const Tensor& self) { ++self.impl()->storage->version; }

void clear_grad(const Tensor& param, bool set_to_none) {
  if (!param.defined()) return;
  Tensor& g = param.mutable_grad();
  if (!g.defined()) return;
  if (set_to_none) {
    g = Tensor();
    return;
  }
  if (g.grad_fn()) g = g.detach();
  NoGradGuard no_grad;
  g.zero_();
}
}  // namespace detail

Tensor& Tensor::copy_(const Tensor& src) const {
  detail::check_defined(*this, "copy_");
  detail::check_defined(src, "copy_");
  const bool record = detail::inplace_records(*this, "copy_", {src});
  detail::check_no_internal_overlap(*this, "copy_");
  Tensor source = src;
  if (src.sizes() != sizes()) {
    const auto shape = broadcast_shapes(sizes(), src.sizes(), "copy_");
    XGRAD_CHECK(IntArrayRef(shape) == sizes(), ShapeError, "copy_: source of sizes {} cannot be broadcast to {}",
                xgrad::to_string(src.sizes()), xgrad::to_string(sizes()));
    if (!record) source = make_view(src, shape, detail::broadcast_strides(src, shape), src.storage_offset());
  }
  if (record) {
    XGRAD_CHECK(src.is_floating_point() || !src.requires_grad(), TypeError,
                "copy_: cannot copy from a {} tensor into a tensor that requires grad", dtype_name(src.dtype()));
    autograd::rebase_history(*this, CopyOp::apply(*this, src), "copy_");
    return const_cast<Tensor&>(*this);
  }
  // Copy through a temporary when source and destination share storage (overlap).
  if (source.impl()->storage == impl_->storage) source = source.detach().clone();
  copy_convert(*this, source, "copy_");
  detail::bump_version(*this);
  return const_cast<Tensor&>(*this);
}

// ---- autograd accessors -----------------------------------------------------------------------

bool Tensor::requires_grad() const {
  const auto& impl = *XGRAD_IMPL("requires_grad");
  // A view requires grad when its base does (LibTorch's DifferentiableViewMeta::requires_grad),
  // also when it has no grad_fn (made under no_grad, or before the base required grad).
  if (impl.requires_grad || impl.grad_fn != nullptr) return true;
  const auto* view = impl.view_meta();
  return view != nullptr && view->base().requires_grad();
}

Tensor& Tensor::requires_grad_(bool requires_grad) const {
  detail::check_defined(*this, "requires_grad_");
  XGRAD_CHECK(is_leaf() || requires_grad, AutogradError,
              "requires_grad_: you can only change requires_grad flags of leaf variables. This tensor is not a "
              "leaf (made by {}); use detach() to get a tensor that does not require grad",
              impl_->grad_fn ? impl_->grad_fn->name() : std::string("an op"));
  XGRAD_CHECK(!requires_grad || xgrad::is_floating_point(dtype()), TypeError,
              "requires_grad_: Only Tensors of floating point and complex dtype can require gradients (xgrad: "
              "float32 and float64), got {}",
              dtype_name(dtype()));
  if (is_leaf()) impl_->requires_grad = requires_grad;
  return const_cast<Tensor&>(*this);
}

bool Tensor::is_leaf() const {
  detail::check_defined(*this, "is_leaf");
  return grad_fn() == nullptr;
}

bool Tensor::is_view() const { return XGRAD_IMPL("is_view")->view_meta() != nullptr; }

const Tensor& Tensor::_base() const {
  const auto* meta = XGRAD_IMPL("_base")->view_meta();
  XGRAD_CHECK(meta != nullptr, ValueError,
              "_base: Can't get base of non-view Tensor (sizes {}; only the results of view ops have a base)",
              xgrad::to_string(sizes()));
  return meta->base();
}

const Tensor& Tensor::grad() const {
  const TensorImpl* impl = XGRAD_IMPL("grad").get();
  // As LibTorch: a non-leaf's grad is never filled by backward unless retain_grad() asked for it.
  if (impl->grad_fn != nullptr && !impl->retains_grad) [[unlikely]]
    XGRAD_WARN("grad: this tensor is not a leaf (it was made by {}), so backward() does not fill its .grad(); "
               "call retain_grad() on it before backward() to keep its gradient, or read the .grad() of the "
               "leaf tensor you meant",
               impl->grad_fn->name());
  return impl->grad;
}
Tensor& Tensor::mutable_grad() const { return XGRAD_IMPL("mutable_grad")->grad; }
const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const {
  autograd::detail::refresh_view_grad_fn(XGRAD_IMPL("grad_fn"));
  return impl_->grad_fn;
}
uint32_t Tensor::output_nr() const {
  autograd::detail::refresh_view_grad_fn(XGRAD_IMPL("output_nr"));
  return impl_->output_nr;
}

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph,
                      OptionalArrayRef<Tensor> inputs) const {
  detail::check_defined(*this, "backward");
  XGRAD_CHECK(!inputs || !inputs->empty(), ValueError,
              "backward: the 'inputs' argument cannot be empty; omit it to accumulate into every leaf");
  autograd::variable_list grads;
  if (gradient.defined()) grads.push_back(gradient);
  autograd::backward({*this}, grads, retain_graph, create_graph, inputs ? inputs->vec() : autograd::variable_list{});
}

void Tensor::retain_grad() const {
  detail::check_defined(*this, "retain_grad");
  XGRAD_CHECK(requires_grad(), AutogradError, "retain_grad: called on a tensor that doesn't require grad");
  if (is_leaf()) return;
  // The node may be running on another thread's backward (a shared, retained graph).
  std::lock_guard<std::recursive_mutex> lock(impl_->grad_fn->mutex());
  if (impl_->retains_grad) return;
  impl_->retains_grad = true;
  impl_->grad_fn->retained_grads.emplace_back(impl_->output_nr, impl_);
}

unsigned Tensor::register_post_accumulate_grad_hook(std::function<void(const Tensor&)> hook) const {
  detail::check_defined(*this, "register_post_accumulate_grad_hook");
  XGRAD_CHECK(is_leaf() && requires_grad(), AutogradError,
              "register_post_accumulate_grad_hook: only a leaf tensor that requires grad accumulates gradients "
              "(this one is {}); register the hook on the leaf instead",
              requires_grad() ? "not a leaf" : "a tensor that doesn't require grad");
  XGRAD_CHECK(static_cast<bool>(hook), ValueError, "register_post_accumulate_grad_hook: the hook is empty");
  // AccumulateGrad may be reading the list on another thread's backward.
  std::lock_guard<std::recursive_mutex> lock(impl_->autograd_mutex);
  impl_->post_accumulate_grad_hooks.push_back(std::move(hook));
  return static_cast<unsigned>(impl_->post_accumulate_grad_hooks.size() - 1);
}

void Tensor::remove_post_accumulate_grad_hook(unsigned handle) const {
  detail::check_defined(*this, "remove_post_accumulate_grad_hook");
  std::lock_guard<std::recursive_mutex> lock(impl_->autograd_mutex);
  auto& hooks = impl_->post_accumulate_grad_hooks;
  XGRAD_CHECK(handle < hooks.size(), IndexError,
              "remove_post_accumulate_grad_hook: no hook with handle {} ({} registered)", handle, hooks.size());
  hooks[handle] = nullptr;
}

unsigned Tensor::_register_hook(std::function<Tensor(const Tensor&)> hook) const {
  detail::check_defined(*this, "register_hook");
  XGRAD_CHECK(requires_grad(), AutogradError,
              "register_hook: cannot register a hook on a tensor that doesn't require gradient");
  XGRAD_CHECK(static_cast<bool>(hook), ValueError, "register_hook: the hook is empty");
  if (!is_leaf()) {
    // The node may be running on another thread's backward (a shared, retained graph).
    std::lock_guard<std::recursive_mutex> lock(impl_->grad_fn->mutex());
    auto& hooked = impl_->grad_fn->hooked_tensors;
    const bool listed = std::any_of(hooked.begin(), hooked.end(), [this](const auto& h) {
      return h.first == impl_->output_nr && h.second.lock() == impl_;
    });
    if (!listed) hooked.emplace_back(impl_->output_nr, impl_);
  }
  std::lock_guard<std::recursive_mutex> lock(impl_->autograd_mutex);
  impl_->grad_hooks.push_back(std::move(hook));
  return static_cast<unsigned>(impl_->grad_hooks.size() - 1);
}

void Tensor::remove_hook(unsigned handle) const {
  detail::check_defined(*this, "remove_hook");
  std::lock_guard<std::recursive_mutex> lock(impl_->autograd_mutex);
  XGRAD_CHECK(handle < impl_->grad_hooks.size(), IndexError, "remove_hook: Invalid index {} ({} hooks registered on this tensor)",
              handle, impl_->grad_hooks.size());
  impl_->grad_hooks[handle] = nullptr;
}

bool Tensor::retains_grad() const { return XGRAD_IMPL("retains_grad")->retains_grad; }

Tensor Tensor::detach() const {
  detail::check_defined(*this, "detach");
  // A non-differentiable view (as PyTorch's): make_view gives it no view metadata, so it has no
  // history to keep in step with its base, and an in-place op recorded on it is fine.
  return make_view(*this, sizes(), strides(), storage_offset());
}

Tensor Tensor::tensor_data() const {
  detail::check_defined(*this, "tensor_data");
  // make_view records no autograd link; the version counter lives with the storage.
  return make_view(*this, sizes(), strides(), storage_offset());
}

Tensor& Tensor::detach_() const {
  detail::check_defined(*this, "detach_");
  impl_->grad_fn.reset();
  impl_->requires_grad = false;
  // No longer a differentiable view either: it has no history to keep in step with a base.
  impl_->autograd_meta_.reset();
  impl_->output_nr = 0;
  return const_cast<Tensor&>(*this);
}

// ---- LibTorch idioms: untyped access, conversions, storage changes -------------------------------

void* Tensor::data_ptr() const { return XGRAD_IMPL("data_ptr")->data(); }

Scalar Tensor::item() const {
  const auto& impl = *XGRAD_IMPL("item");
  XGRAD_CHECK(impl.numel == 1, ValueError, "item: a tensor with {} elements cannot be converted to a scalar (sizes {})",
              impl.numel, xgrad::to_string(IntArrayRef(impl.sizes)));
  const int64_t off = impl.storage_offset;  // one element: every stride is irrelevant
  const void* base = impl.storage->data;
  switch (impl.dtype) {
    case ScalarType::Float: return Scalar(static_cast<const float*>(base)[off]);
    case ScalarType::Double: return Scalar(static_cast<const double*>(base)[off]);
    case ScalarType::Long: return Scalar(static_cast<const int64_t*>(base)[off]);
    case ScalarType::Bool: return Scalar(static_cast<const bool*>(base)[off]);
    case ScalarType::Int: return Scalar(static_cast<int64_t>(static_cast<const int32_t*>(base)[off]));
    case ScalarType::Byte: return Scalar(static_cast<int64_t>(static_cast<const uint8_t*>(base)[off]));
    case ScalarType::Char: return Scalar(static_cast<int64_t>(static_cast<const int8_t*>(base)[off]));
    case ScalarType::Short: return Scalar(static_cast<int64_t>(static_cast<const int16_t*>(base)[off]));
    default: break;
  }
  XGRAD_CHECK(!is_complex(impl.dtype), TypeError,
              "item: a {} element has no Scalar value in xgrad (Scalar holds no complex numbers); read it with "
              "item<xgrad::complex<double>>()",
              dtype_name(impl.dtype));
  detail::throw_unsupported_dtype(impl.dtype, "item");
}

Tensor Tensor::to(TensorOptions options, bool non_blocking, bool copy) const {
  detail::check_defined(*this, "to");
  // LibTorch refuses requires_grad in the options of an op (it would not be recorded).
  XGRAD_CHECK(!options.requires_grad(), ValueError,
              "to: options with requires_grad=true are not supported; call requires_grad_() on the result");
  return to(options.has_dtype() ? options.dtype() : dtype(), non_blocking, copy);
}

Tensor& Tensor::resize_(IntArrayRef new_sizes) const {
  detail::check_defined(*this, "resize_");
  XGRAD_CHECK(!requires_grad(), AutogradError,
              "resize_: cannot resize variables that require grad (sizes {}); resize a detach()ed tensor instead",
              xgrad::to_string(sizes()));
  detail::check_sizes_nonnegative(new_sizes, "resize_");
  const int64_t n = detail::checked_numel(new_sizes, "resize_");
  const size_t elem = xgrad::element_size(impl_->dtype);
  XGRAD_CHECK(impl_->storage_offset <= (std::numeric_limits<int64_t>::max() / static_cast<int64_t>(elem)) - n,
              ValueError, "resize_: sizes {} at storage offset {} overflow int64 bytes", xgrad::to_string(new_sizes),
              impl_->storage_offset);
  const auto needed = static_cast<size_t>((impl_->storage_offset + n) * static_cast<int64_t>(elem));
  Storage& st = *impl_->storage;
  if (n > 0 && needed > st.nbytes) {
    // Grow the shared storage itself (every view of it sees the new memory, as PyTorch's
    // StorageImpl resize), keeping the old bytes. Borrowed memory (from_blob) cannot grow.
    auto* owned = dynamic_cast<OwnedStorage*>(&st);
    XGRAD_CHECK(owned != nullptr, ValueError,
                "resize_: trying to resize storage that is not resizable (from_blob memory of {} bytes, {} needed)",
                st.nbytes, needed);
    auto fresh = allocate_storage(needed);
    auto* fresh_owned = static_cast<OwnedStorage*>(fresh.get());
    std::memcpy(fresh_owned->buffer.data(), owned->buffer.data(), owned->nbytes);
    owned->buffer.swap(fresh_owned->buffer);
    owned->data = owned->buffer.data();
    owned->nbytes = needed;
    fresh_owned->data = fresh_owned->buffer.data();
    fresh_owned->nbytes = fresh_owned->buffer.size();
  }
  impl_->sizes = new_sizes;
  fill_contiguous_strides(new_sizes, impl_->strides);
  impl_->numel = n;
  return const_cast<Tensor&>(*this);
}

void Tensor::set_data(const Tensor& new_data) const {
  detail::check_defined(*this, "set_data");
  detail::check_defined(new_data, "set_data");
  const TensorImpl& src = *new_data.impl_;
  TensorImpl& dst = *impl_;
  if (&src == &dst) return;
  // A new dtype invalidates the cached gradient accumulator (LibTorch drops it too): the next
  // graph makes one that knows the new type.
  if (src.dtype != dst.dtype) {
    std::lock_guard<std::recursive_mutex> lock(dst.autograd_mutex);
    dst.grad_accumulator.reset();
  }
  dst.storage = src.storage;
  dst.storage_offset = src.storage_offset;
  dst.sizes = src.sizes;
  dst.strides = src.strides;
  dst.numel = src.numel;
  dst.dtype = src.dtype;
}

#undef XGRAD_IMPL

}  // namespace xgrad
