// Tensor factories: constant fills, ranges, identity, wrapping user memory, and the
// nested-initializer-list `xgrad::tensor(...)`. Random factories live in random.cpp.

#include <xgrad/factory.hpp>
#include <xgrad/tensor.hpp>

#include "core/checked.hpp"
#include "core/dispatch.hpp"
#include "core/factory_internal.hpp"

#include <fmt/ranges.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace xgrad {

namespace detail {

ScalarType resolve_like_dtype(const Tensor& x, const std::optional<TensorOptions>& options) {
  return options && options->has_dtype() ? options->dtype() : x.dtype();
}

Tensor finish_factory(Tensor t, TensorOptions options) {
  if (options.requires_grad()) t.requires_grad_(true);
  return t;
}

void check_sizes_nonnegative(IntArrayRef sizes, const char* op) {
  for (auto s : sizes) XGRAD_CHECK(s >= 0, ValueError, "{}: negative size {} in {}", op, s, to_string(sizes));
}

}  // namespace detail

namespace {

// Fills a fresh contiguous tensor with one value, converted with the same checks as a scalar
// conversion (NaN into int64 is a ValueError, not undefined behaviour).
void fill_contiguous(const Tensor& t, double value, const char* op) {
  detail::dispatch_storage(t.dtype(), op, [&]<typename T>() {
    const T v = detail::convert_scalar<T>(value, op);
    T* p = static_cast<T*>(t.impl()->data());
    std::fill(p, p + t.numel(), v);
  });
}

Tensor filled(IntArrayRef sizes, double value, TensorOptions options, const char* op) {
  detail::check_sizes_nonnegative(sizes, op);
  Tensor t = make_tensor(sizes, options.dtype(), op);
  fill_contiguous(t, value, op);
  return detail::finish_factory(std::move(t), options);
}

}  // namespace

// ---- constant fills ---------------------------------------------------------------------------

Tensor empty(IntArrayRef sizes, TensorOptions options) {
  detail::check_sizes_nonnegative(sizes, "empty");
  return detail::finish_factory(make_tensor(sizes, options.dtype(), "empty"), options);
}

Tensor zeros(IntArrayRef sizes, TensorOptions options) {
  detail::check_sizes_nonnegative(sizes, "zeros");
  Tensor t = make_tensor(sizes, options.dtype(), "zeros");
  // All-zero bytes are 0 / 0.0 / false in every supported dtype.
  std::memset(t.impl()->data(), 0, static_cast<size_t>(t.numel()) * t.element_size());
  return detail::finish_factory(std::move(t), options);
}

Tensor ones(IntArrayRef sizes, TensorOptions options) { return filled(sizes, 1.0, options, "ones"); }

Tensor full(IntArrayRef sizes, double value, TensorOptions options) { return filled(sizes, value, options, "full"); }

namespace {
TensorOptions like_options(const Tensor& x, const std::optional<TensorOptions>& options, const char* op) {
  detail::check_defined(x, op);
  return TensorOptions(detail::resolve_like_dtype(x, options)).requires_grad(options && options->requires_grad());
}
}  // namespace

Tensor empty_like(const Tensor& x, std::optional<TensorOptions> options) {
  return empty(x.sizes(), like_options(x, options, "empty_like"));
}
Tensor zeros_like(const Tensor& x, std::optional<TensorOptions> options) {
  return zeros(x.sizes(), like_options(x, options, "zeros_like"));
}
Tensor ones_like(const Tensor& x, std::optional<TensorOptions> options) {
  return filled(x.sizes(), 1.0, like_options(x, options, "ones_like"), "ones_like");
}
Tensor full_like(const Tensor& x, double value, std::optional<TensorOptions> options) {
  return filled(x.sizes(), value, like_options(x, options, "full_like"), "full_like");
}

// ---- ranges -------------------------------------------------------------------------------------

namespace detail {
Tensor arange_impl(double start, double end, double step, bool integral_args, std::optional<TensorOptions> options) {
  XGRAD_CHECK(std::isfinite(start) && std::isfinite(end), ValueError,
              "arange: unsupported range {} -> {} (bounds must be finite)", start, end);
  XGRAD_CHECK(std::isfinite(step), ValueError, "arange: step must be finite, got {}", step);
  XGRAD_CHECK(step != 0.0, ValueError, "arange: step must be nonzero");
  XGRAD_CHECK((step > 0 && end >= start) || (step < 0 && end <= start), ValueError,
              "arange: upper bound and larger bound inconsistent with step sign (start {}, end {}, step {})", start,
              end, step);
  // PyTorch infers int64 when every argument is of an integer type (the header's templates tell).
  const bool integral = integral_args;
  TensorOptions opts = options ? *options : TensorOptions();
  if (!opts.has_dtype()) opts = opts.dtype(integral ? kInt64 : get_default_dtype_as_scalartype());
  double count = std::ceil((end - start) / step);
  // An integer dtype with non-integral arguments, as PyTorch 1.13: the values step from
  // trunc(start) by trunc(step), so a step that truncates to 0 is refused; int64 also counts the
  // elements from the truncated bounds, the narrower integer types from the given ones
  // (arange(0, 5, 1.5) is [0, 1, 2, 3, 4] as int64 and [0, 1, 2, 3] as int32).
  const bool truncating = !integral && !is_floating_point(opts.dtype()) && opts.dtype() != kBool;
  if (truncating) {
    XGRAD_CHECK(std::trunc(step) != 0.0, ValueError,
                "arange: step must be nonzero (step {} truncates to 0 for dtype {}; use an integer step or a "
                "floating dtype)",
                step, dtype_name(opts.dtype()));
    if (opts.dtype() == kInt64)
      count = std::max(0.0, std::ceil((std::trunc(end) - std::trunc(start)) / std::trunc(step)));
  }
  XGRAD_CHECK(count <= static_cast<double>(int64_t{1} << 40), ValueError,
              "arange: {} elements ({} -> {} step {}) is too many", count, start, end, step);
  const auto n = static_cast<int64_t>(count);
  Tensor t = make_tensor({n}, opts.dtype(), "arange");
  detail::dispatch_all(opts.dtype(), "arange", [&]<typename T>() {
    T* p = static_cast<T*>(t.impl()->data());
    if constexpr (std::is_same_v<T, bool>) {
      XGRAD_THROW(TypeError, "arange: not implemented for dtype bool");
    } else if constexpr (detail::is_int_v<T>) {
      if (integral) {
        // Integer ranges step in integers, exact for values beyond 2^53. Unsigned arithmetic
        // wraps where an intermediate i * step would overflow; every result lies in [start, end],
        // so only the bounds need checking against a narrower T.
        const auto s = static_cast<uint64_t>(detail::convert_scalar<int64_t>(start, "arange"));
        const auto st = static_cast<uint64_t>(detail::convert_scalar<int64_t>(step, "arange"));
        (void)detail::convert_scalar<T>(detail::convert_scalar<int64_t>(start, "arange"), "arange");
        (void)detail::convert_scalar<T>(detail::convert_scalar<int64_t>(end, "arange"), "arange");
        for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(static_cast<int64_t>(s + static_cast<uint64_t>(i) * st));
      } else {
        const double s0 = std::trunc(start), st = std::trunc(step);
        for (int64_t i = 0; i < n; ++i) p[i] = detail::convert_scalar<T>(s0 + static_cast<double>(i) * st, "arange");
      }
    } else {
      // PyTorch's AVX2 kernel, reproduced so values agree bit for bit: pairs of SIMD vectors of
      // L lanes each take a base `start + step * idx` (fused, in double) rounded to T, then
      // lanes `base + j * step`; the tail is computed element by element.
      const auto value = [&](double v) { return detail::convert_scalar<T>(v, "arange"); };
      constexpr int64_t L = std::is_same_v<T, float> ? 8 : 4;
      int64_t i = 0;
      for (; i + 2 * L <= n; i += 2 * L) {
        for (int64_t v = i; v < i + 2 * L; v += L) {
          const double base = static_cast<double>(value(std::fma(step, static_cast<double>(v), start)));
          for (int64_t j = 0; j < L; ++j) p[v + j] = value(std::fma(static_cast<double>(j), step, base));
        }
      }
      for (; i < n; ++i) p[i] = value(std::fma(step, static_cast<double>(i), start));
    }
  });
  return detail::finish_factory(std::move(t), opts);
}
}  // namespace detail

Tensor linspace(double start, double end, int64_t steps, TensorOptions options) {
  XGRAD_CHECK(steps >= 0, ValueError, "linspace: number of steps must be non-negative, got {}", steps);
  XGRAD_CHECK(std::isfinite(start) && std::isfinite(end), ValueError, "linspace: bounds must be finite, got {} and {}",
              start, end);
  Tensor t = make_tensor({steps}, options.dtype(), "linspace");
  detail::dispatch_all(options.dtype(), "linspace", [&]<typename T>() {
    T* p = static_cast<T*>(t.impl()->data());
    if constexpr (std::is_same_v<T, bool>) {
      XGRAD_THROW(TypeError, "linspace: not implemented for dtype bool");
    } else {
      if (steps == 1) {
        p[0] = detail::convert_scalar<T>(start, "linspace");
        return;
      }
      // Like PyTorch: the first half counts up from start, the second half down from end, so
      // both endpoints are exact. Floating types compute in T with a fused multiply-add as
      // PyTorch's scalar loop does (its SIMD chunks round slightly differently: within an ulp).
      const int64_t half = steps / 2;
      if constexpr (std::is_integral_v<T>) {
        const double step = (end - start) / static_cast<double>(steps - 1);
        for (int64_t i = 0; i < steps; ++i) {
          const double v = i < half ? start + step * static_cast<double>(i)
                                    : end - step * static_cast<double>(steps - 1 - i);
          p[i] = detail::convert_scalar<T>(std::trunc(v), "linspace");
        }
      } else {
        const T s = detail::convert_scalar<T>(start, "linspace");
        const T e = detail::convert_scalar<T>(end, "linspace");
        const T step = (e - s) / static_cast<T>(steps - 1);
        for (int64_t i = 0; i < steps; ++i)
          p[i] = i < half ? std::fma(step, static_cast<T>(i), s) : std::fma(-step, static_cast<T>(steps - 1 - i), e);
      }
    }
  });
  return detail::finish_factory(std::move(t), options);
}

Tensor eye(int64_t n, TensorOptions options) { return eye(n, n, options); }

Tensor eye(int64_t n, int64_t m, TensorOptions options) {
  XGRAD_CHECK(n >= 0, ValueError, "eye: n must be non-negative, got {}", n);
  XGRAD_CHECK(m >= 0, ValueError, "eye: m must be non-negative, got {}", m);
  Tensor t = zeros({n, m}, options.dtype());
  detail::dispatch_all(options.dtype(), "eye", [&]<typename T>() {
    T* p = static_cast<T*>(t.impl()->data());
    for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = static_cast<T>(1);
  });
  return detail::finish_factory(std::move(t), options);
}

// ---- wrapping and copying user data ---------------------------------------------------------------

namespace {

// Memory owned by the caller of from_blob: the tensor never frees it, unless the caller gave a
// deleter, which the last owner's release calls (once, from this destructor).
struct BorrowedStorage final : Storage {
  BorrowedStorage(void* p, size_t n, std::function<void(void*)> del) : deleter(std::move(del)) {
    data = p;
    nbytes = n;
  }
  BorrowedStorage(const BorrowedStorage&) = delete;
  BorrowedStorage& operator=(const BorrowedStorage&) = delete;
  ~BorrowedStorage() override {
    if (deleter) deleter(data);
  }
  // Without a deleter nothing frees the memory: LibTorch's null deleter context.
  void* context() const override { return deleter ? const_cast<BorrowedStorage*>(this) : nullptr; }
  std::function<void(void*)> deleter;
};

Tensor from_blob_impl(void* data, IntArrayRef sizes, IntArrayRef strides, const std::function<void(void*)>& deleter,
                      TensorOptions options);

}  // namespace

Tensor from_blob(void* data, IntArrayRef sizes, TensorOptions options) {
  detail::checked_numel(sizes, "from_blob");  // before the strides, whose products it bounds
  const auto strides = contiguous_strides(sizes);
  return from_blob_impl(data, sizes, strides, nullptr, options);
}

Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, TensorOptions options) {
  return from_blob_impl(data, sizes, strides, nullptr, options);
}

Tensor from_blob(void* data, IntArrayRef sizes, const std::function<void(void*)>& deleter, TensorOptions options) {
  detail::checked_numel(sizes, "from_blob");
  const auto strides = contiguous_strides(sizes);
  return from_blob_impl(data, sizes, strides, deleter, options);
}

Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, const std::function<void(void*)>& deleter,
                 TensorOptions options) {
  return from_blob_impl(data, sizes, strides, deleter, options);
}

namespace {

Tensor from_blob_impl(void* data, IntArrayRef sizes, IntArrayRef strides, const std::function<void(void*)>& deleter,
                      TensorOptions options) {
  XGRAD_CHECK(sizes.size() == strides.size(), ShapeError,
              "from_blob: sizes {} and strides {} have different lengths", to_string(sizes), to_string(strides));
  const int64_t numel = detail::checked_numel(sizes, "from_blob");
  int64_t max_offset = 0;
  for (size_t d = 0; d < sizes.size(); ++d) {
    XGRAD_CHECK(strides[d] >= 0, ValueError, "from_blob: negative stride {} in {}", strides[d], to_string(strides));
    if (sizes[d] > 0)
      max_offset = detail::checked_add(
          max_offset, detail::checked_mul(sizes[d] - 1, strides[d], "from_blob", "offset of the last element"),
          "from_blob", "offset of the last element");
  }
  XGRAD_CHECK(data != nullptr || numel == 0, ValueError, "from_blob: null data pointer for sizes {}",
              to_string(sizes));
  const size_t esize = element_size(options.dtype());
  // Every kernel reads tensor data with unaligned vector loads, but element accesses themselves
  // need the element's alignment (a float at an odd address is undefined behaviour).
  XGRAD_CHECK(reinterpret_cast<uintptr_t>(data) % esize == 0, ValueError,
              "from_blob: data pointer {} is not aligned to the {}-byte elements of {}; copy the data to an aligned "
              "buffer (or use from_vector)",
              data, esize, dtype_name(options.dtype()));
  auto impl = std::make_shared<TensorImpl>();
  const int64_t span = numel == 0 ? 0 : detail::checked_add(max_offset, 1, "from_blob", "storage span");
  auto storage = std::make_shared<BorrowedStorage>(data, detail::checked_nbytes(span, esize, sizes, "from_blob"),
                                                   nullptr);
  impl->storage = storage;
  impl->sizes = sizes;
  impl->strides = strides;
  impl->numel = numel;
  impl->dtype = options.dtype();
  Tensor t = detail::finish_factory(Tensor(std::move(impl)), options);
  // Armed only once nothing can throw: a refused call leaves the memory to the caller.
  storage->deleter = deleter;
  return t;
}

}  // namespace

namespace {

template <typename S>
Tensor from_vector_impl(const std::vector<S>& values, const std::optional<std::vector<int64_t>>& sizes,
                        TensorOptions options) {
  std::vector<int64_t> shape = sizes ? *sizes : std::vector<int64_t>{static_cast<int64_t>(values.size())};
  const int64_t numel = detail::checked_numel(shape, "from_vector");
  XGRAD_CHECK(numel == static_cast<int64_t>(values.size()), ShapeError,
              "from_vector: {} values cannot fill sizes {} ({} elements)", values.size(), to_string(shape), numel);
  const ScalarType dtype = options.has_dtype() ? options.dtype() : scalar_type_of<S>();
  Tensor t = make_tensor(shape, dtype, "from_vector");
  detail::dispatch_all(dtype, "from_vector", [&]<typename T>() {
    T* p = static_cast<T*>(t.impl()->data());
    for (int64_t i = 0; i < numel; ++i) p[i] = detail::convert_scalar<T>(values[static_cast<size_t>(i)], "from_vector");
  });
  return detail::finish_factory(std::move(t), options);
}

}  // namespace

Tensor from_vector(const std::vector<float>& values, std::optional<std::vector<int64_t>> sizes,
                   TensorOptions options) {
  return from_vector_impl(values, sizes, options);
}
Tensor from_vector(const std::vector<double>& values, std::optional<std::vector<int64_t>> sizes,
                   TensorOptions options) {
  return from_vector_impl(values, sizes, options);
}
Tensor from_vector(const std::vector<int64_t>& values, std::optional<std::vector<int64_t>> sizes,
                   TensorOptions options) {
  return from_vector_impl(values, sizes, options);
}

// ---- xgrad::tensor(nested lists) --------------------------------------------------------------------

namespace detail {

namespace {
// Promotion order of literal kinds: bool < int64 < float32 < float64, as Python's
// torch.tensor([True, 1, 2.5]) promotes mixed literals.
int type_rank(ScalarType t) {
  switch (t) {
    case ScalarType::Bool: return 0;
    case ScalarType::Long: return 1;
    case ScalarType::Float: return 2;
    case ScalarType::Double: return 3;
    case ScalarType::ComplexFloat: return 4;
    case ScalarType::ComplexDouble: return 5;
    default: return 0;  // literals are only ever of the six kinds above
  }
}
}  // namespace

// c10's names of the scalar types, which LibTorch's message uses.
const char* TensorDataContainer::literal_name(Literal l) {
  switch (l) {
    case Literal::None: return "None";
    case Literal::Bool: return "Bool";
    case Literal::Int8: return "Char";
    case Literal::UInt8: return "Byte";
    case Literal::Int16: return "Short";
    case Literal::Int32: return "Int";
    case Literal::Int64: return "Long";
    case Literal::Float: return "Float";
    case Literal::Double: return "Double";
    case Literal::ComplexFloat: return "ComplexFloat";
    case Literal::ComplexDouble: return "ComplexDouble";
  }
  return "unknown";
}

// As LibTorch, a braced list takes the literal type of its first element and every element
// must share it: `{1, 2.0}` is refused rather than silently promoted.
TensorDataContainer::TensorDataContainer(std::initializer_list<TensorDataContainer> list)
    : kind_(Kind::List), children_(list) {
  if (list.size() == 0) return;
  lit_ = list.begin()->lit_;
  for (const auto& c : list) {
    XGRAD_CHECK(c.lit_ == lit_ || c.lit_ == Literal::None || lit_ == Literal::None, TypeError,
                "tensor: Expected all elements of the tensor to have the same scalar type: {}, but got element of "
                "scalar type: {} (write every literal with one type, e.g. {{1., 2.}} for floating values)",
                literal_name(lit_), literal_name(c.lit_));
    if (lit_ == Literal::None) lit_ = c.lit_;
  }
}

// Floating vectors give float32 (LibTorch's default dtype for float and double data alike),
// integer vectors int64.
TensorDataContainer::TensorDataContainer(const std::vector<float>& v)
    : kind_(Kind::Vector), type_(kFloat32), lit_(Literal::Float), dvec_(v.begin(), v.end()) {}
TensorDataContainer::TensorDataContainer(const std::vector<double>& v)
    : kind_(Kind::Vector), type_(kFloat32), lit_(Literal::Double), dvec_(v) {}
TensorDataContainer::TensorDataContainer(const std::vector<int64_t>& v)
    : kind_(Kind::Vector), type_(kInt64), lit_(Literal::Int64), ivec_(v) {}
TensorDataContainer::TensorDataContainer(const std::vector<int>& v)
    : kind_(Kind::Vector), type_(kInt64), lit_(Literal::Int32), ivec_(v.begin(), v.end()) {}
TensorDataContainer::TensorDataContainer(const std::vector<bool>& v)
    : kind_(Kind::Vector), type_(kBool), lit_(Literal::Bool), ivec_(v.begin(), v.end()) {}
TensorDataContainer::TensorDataContainer(const std::vector<complex<float>>& v)
    : kind_(Kind::Vector), type_(kComplexFloat), lit_(Literal::ComplexFloat), cvec_(v.begin(), v.end()) {}
TensorDataContainer::TensorDataContainer(const std::vector<complex<double>>& v)
    : kind_(Kind::Vector), type_(kComplexDouble), lit_(Literal::ComplexDouble), cvec_(v) {}
TensorDataContainer::TensorDataContainer(ArrayRef<complex<float>> v)
    : kind_(Kind::Vector), type_(kComplexFloat), lit_(Literal::ComplexFloat), cvec_(v.begin(), v.end()) {}
TensorDataContainer::TensorDataContainer(ArrayRef<complex<double>> v)
    : kind_(Kind::Vector), type_(kComplexDouble), lit_(Literal::ComplexDouble), cvec_(v.begin(), v.end()) {}
TensorDataContainer::TensorDataContainer(ArrayRef<float> v)
    : kind_(Kind::Vector), type_(kFloat32), lit_(Literal::Float), dvec_(v.begin(), v.end()) {}
TensorDataContainer::TensorDataContainer(ArrayRef<double> v)
    : kind_(Kind::Vector), type_(kFloat32), lit_(Literal::Double), dvec_(v.begin(), v.end()) {}
TensorDataContainer::TensorDataContainer(ArrayRef<int64_t> v)
    : kind_(Kind::Vector), type_(kInt64), lit_(Literal::Int64), ivec_(v.begin(), v.end()) {}
TensorDataContainer::TensorDataContainer(ArrayRef<int> v)
    : kind_(Kind::Vector), type_(kInt64), lit_(Literal::Int32), ivec_(v.begin(), v.end()) {}
TensorDataContainer::TensorDataContainer(ArrayRef<bool> v)
    : kind_(Kind::Vector), type_(kBool), lit_(Literal::Bool), ivec_(v.begin(), v.end()) {}

ScalarType TensorDataContainer::scalar_type() const {
  switch (lit_) {
    case Literal::None: return get_default_dtype_as_scalartype();
    case Literal::Bool: return kBool;
    case Literal::Int8: return kInt8;
    case Literal::UInt8: return kUInt8;
    case Literal::Int16: return kInt16;
    case Literal::Int32: return kInt32;
    case Literal::Int64: return kInt64;
    case Literal::Float: return kFloat32;
    case Literal::Double: return kFloat64;
    case Literal::ComplexFloat: return kComplexFloat;
    case Literal::ComplexDouble: return kComplexDouble;
  }
  return kFloat32;
}

Scalar TensorDataContainer::scalar() const {
  XGRAD_CHECK(is_scalar(), ValueError,
              "TensorDataContainer::scalar: Can only call `scalar()` on a TensorDataContainer that has `is_scalar() == "
              "true` (this one is {})",
              is_init_list() ? "a braced list" : "a vector of values");
  XGRAD_CHECK(!is_complex_node(), TypeError,
              "TensorDataContainer::scalar: the literal ({}, {}) is complex, which xgrad's Scalar cannot hold; "
              "make a tensor of it with xgrad::tensor()",
              d_, im_);
  if (lit_ == Literal::Bool) return Scalar(i_ != 0);
  if (type_ == kFloat32 || type_ == kFloat64) return Scalar(d_);
  return Scalar(i_);
}

ArrayRef<TensorDataContainer> TensorDataContainer::init_list() const {
  XGRAD_CHECK(is_init_list(), ValueError,
              "TensorDataContainer::init_list: Can only call `init_list()` on a TensorDataContainer that has "
              "`is_init_list() == true` (this one is {})",
              is_scalar() ? "a scalar" : "a vector of values");
  return ArrayRef<TensorDataContainer>(children_);
}

Tensor TensorDataContainer::tensor() const {
  XGRAD_CHECK(is_tensor(), ValueError,
              "TensorDataContainer::tensor: Can only call `tensor()` on a TensorDataContainer that has `is_tensor() == "
              "true` (this one is {})",
              is_scalar() ? "a scalar" : "a braced list");
  const ScalarType dtype = scalar_type();
  const auto n = static_cast<int64_t>(vector_size());
  Tensor t = make_tensor({n}, dtype, "TensorDataContainer::tensor");
  int64_t index = 0;
  fill(t, index);
  return t;
}

std::ostream& operator<<(std::ostream& os, const TensorDataContainer& data) {
  // Each value as its C++ literal type prints (a float literal through float, so that the
  // stream's precision applies to the same value LibTorch prints).
  const auto value = [&](double d, int64_t i) {
    switch (data.lit_) {
      case TensorDataContainer::Literal::Float: os << static_cast<float>(d); break;
      case TensorDataContainer::Literal::Double: os << d; break;
      case TensorDataContainer::Literal::Bool: os << (i != 0 ? 1 : 0); break;
      default: os << i; break;
    }
  };
  // A complex value as its C++ type streams: (re,im).
  const auto complex_value = [&](complex<double> c) {
    if (data.lit_ == TensorDataContainer::Literal::ComplexFloat)
      os << complex<float>(c);
    else
      os << c;
  };
  switch (data.kind_) {
    case TensorDataContainer::Kind::Scalar:
      if (data.is_complex_node())
        complex_value(complex<double>(data.d_, data.im_));
      else
        value(data.d_, data.i_);
      break;
    case TensorDataContainer::Kind::Vector: {
      os << '{';
      const size_t n = data.vector_size();
      for (size_t k = 0; k < n; ++k) {
        if (k > 0) os << ", ";
        if (data.is_complex_node())
          complex_value(data.cvec_[k]);
        else if (data.dvec_.empty())
          value(0.0, data.ivec_[k]);
        else
          value(data.dvec_[k], 0);
      }
      os << '}';
      break;
    }
    case TensorDataContainer::Kind::List: {
      os << '{';
      for (size_t k = 0; k < data.children_.size(); ++k) {
        if (k > 0) os << ", ";
        os << data.children_[k];
      }
      os << '}';
      break;
    }
  }
  return os;
}

std::vector<int64_t> TensorDataContainer::sizes() const {
  std::vector<int64_t> out;
  const TensorDataContainer* node = this;
  while (true) {
    if (node->kind_ == Kind::Scalar) return out;
    if (node->kind_ == Kind::Vector) {
      out.push_back(static_cast<int64_t>(node->vector_size()));
      return out;
    }
    out.push_back(static_cast<int64_t>(node->children_.size()));
    if (node->children_.empty()) return out;
    node = &node->children_.front();
  }
}

// As LibTorch, every braced list's elements must have the sizes of its first element, checked
// innermost list first (the order in which C++ builds the literal), with LibTorch's message,
// which shows the lists in braces and sizes separated by spaces.
void TensorDataContainer::check_regular(size_t depth) const {
  if (kind_ != Kind::List) return;  // a scalar or a 1-D vector is regular
  for (const auto& c : children_) c.check_regular(depth + 1);
  if (children_.empty()) return;
  const auto print = [](const TensorDataContainer& node) {
    std::string out;
    const auto scalar = [&](bool is_double, double d, int64_t i) {
      out += is_double ? fmt::format("{}", d) : fmt::format("{}", i);
    };
    const auto rec = [&](const auto& self, const TensorDataContainer& n) -> void {
      const bool dbl = n.type_ == kFloat32 || n.type_ == kFloat64;
      if (n.kind_ == Kind::Scalar && n.is_complex_node()) {
        out += fmt::format("({},{})", n.d_, n.im_);
        return;
      }
      if (n.kind_ == Kind::Scalar) return scalar(dbl, n.d_, n.i_);
      out += '{';
      const size_t count = n.kind_ == Kind::List ? n.children_.size() : n.vector_size();
      for (size_t k = 0; k < count; ++k) {
        if (k > 0) out += ", ";
        if (n.kind_ == Kind::List)
          self(self, n.children_[k]);
        else if (n.is_complex_node())
          out += fmt::format("({},{})", n.cvec_[k].real(), n.cvec_[k].imag());
        else
          scalar(dbl, dbl ? n.dvec_[k] : 0.0, dbl ? 0 : n.ivec_[k]);
      }
      out += '}';
    };
    rec(rec, node);
    return out;
  };
  const auto first = children_.front().sizes();
  for (const auto& c : children_) {
    const auto sz = c.sizes();
    XGRAD_CHECK(sz == first, ValueError,
                "tensor: ragged nested list at dim {}: Expected all sub-lists to have sizes: {} (e.g. {}), but got "
                "sub-list {} with sizes: {}; every list of a tensor literal needs elements of one shape",
                depth + 1, fmt::join(first, " "), print(children_.front()), print(c), fmt::join(sz, " "));
  }
}

std::optional<ScalarType> TensorDataContainer::inferred_dtype() const {
  switch (kind_) {
    case Kind::Scalar:
    case Kind::Vector: return type_;
    case Kind::List: break;
  }
  std::optional<ScalarType> best;
  for (const auto& c : children_) {
    auto t = c.inferred_dtype();
    if (t && (!best || type_rank(*t) > type_rank(*best))) best = t;
  }
  return best;
}

void TensorDataContainer::fill(const Tensor& out, int64_t& index) const {
  // As LibTorch, a complex std::vector never converts to a real dtype, even with imaginary parts 0
  // (a complex literal does when its imaginary part is 0: convert_scalar checks that).
  XGRAD_CHECK(!(kind_ == Kind::Vector && is_complex_node() && !is_complex(out.dtype())), ValueError,
              "tensor: can not do xgrad::tensor(complex, dtype=non-complex) because complex can not be casted to real "
              "number without loss of information (asked for {}; give a complex dtype)",
              dtype_name(out.dtype()));
  dispatch_storage(out.dtype(), "tensor", [&]<typename T>() {
    T* p = static_cast<T*>(out.impl()->data());
    switch (kind_) {
      case Kind::Scalar:
        if (is_complex_node())
          p[index++] = convert_scalar<T>(complex<double>(d_, im_), "tensor");
        else
          p[index++] = type_ == kFloat32 || type_ == kFloat64 ? convert_scalar<T>(d_, "tensor")
                                                              : convert_scalar<T>(i_, "tensor");
        return;
      case Kind::Vector:
        for (double v : dvec_) p[index++] = convert_scalar<T>(v, "tensor");
        for (int64_t v : ivec_) p[index++] = convert_scalar<T>(v, "tensor");
        for (const complex<double>& v : cvec_) p[index++] = convert_scalar<T>(v, "tensor");
        return;
      case Kind::List:
        for (const auto& c : children_) c.fill(out, index);
        return;
    }
  });
}

Tensor TensorDataContainer::to_tensor(TensorOptions options) const {
  check_regular();
  const auto shape = sizes();
  ScalarType dtype = options.dtype();  // the default dtype when none is given
  if (!options.has_dtype()) {
    // Floating literals and vectors (float or double alike) take the default dtype, integers
    // int64, bools bool, as LibTorch's torch::tensor.
    if (auto t = inferred_dtype()) dtype = is_floating_point(*t) ? get_default_dtype_as_scalartype() : *t;
  }
  Tensor t = make_tensor(shape, dtype, "tensor");
  int64_t index = 0;
  fill(t, index);
  return finish_factory(std::move(t), options);
}

}  // namespace detail

Tensor tensor(const detail::TensorDataContainer& data, TensorOptions options) { return data.to_tensor(options); }

}  // namespace xgrad
