#pragma once
/// \file
/// Python-style indexing, as LibTorch's `torch::indexing`: `x[1:3, ..., None]` is written
///
///     using namespace xgrad::indexing;
///     auto y = x.index({Slice(1, 3), "...", None});
///     x.index_put_({Slice(), Slice(2, 6)}, 0);     // X[:, 2:6] = 0
///     x.index_put_({x < 0}, 0);                   // X[X < 0] = 0
///
/// Integers select (and drop) a dimension, `Slice` keeps it, `None` inserts a dimension of
/// size 1, `Ellipsis` (or `"..."`) stands for all remaining dimensions, `true`/`false` insert a
/// dimension of size 1/0. A kInt64 (or kInt32) tensor picks entries along a dimension (as
/// index_select) and a kBool (or, deprecated, kUInt8) mask picks the elements where it is true
/// (flattened into one dimension); both give copies, the other index kinds give views sharing
/// storage. A 0-dim tensor of any integer dtype (int8, int16, int32, int64) is an integer index
/// and gives a view, a 0-dim bool/uint8 tensor is a boolean, as LibTorch.
///
/// Writing (`index_put_`, LibTorch's set-item): the value broadcasts to the indexed part after
/// its leading size-1 dimensions are dropped, as NumPy and PyTorch (`x.index_put_({0}, v)` takes
/// a `v` of sizes [1, 1, 3] for a row of 3).
///
/// The ATen forms take one optional tensor per dimension (an empty optional keeps the whole
/// dimension, as `Slice()`): `xgrad::index(x, {i, std::nullopt, j})`,
/// `x.index_put_({i}, values, /*accumulate=*/true)`.

#include <xgrad/tensor.hpp>

#include <cstdint>
#include <iosfwd>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace xgrad::indexing {

/// Python's `None` in an index (a new dimension of size 1); also an omitted Slice bound.
constexpr std::nullopt_t None = std::nullopt;

/// Python's `...`.
struct EllipsisIndexType final {
  EllipsisIndexType() = default;
};
inline constexpr EllipsisIndexType Ellipsis{};

/// The bounds an omitted Slice bound stands for (LibTorch's `INDEX_MAX` / `INDEX_MIN`): a
/// slice is clamped to the dimension, so "up to INDEX_MAX" is "to the end".
inline constexpr int64_t INDEX_MAX = std::numeric_limits<int64_t>::max();
inline constexpr int64_t INDEX_MIN = std::numeric_limits<int64_t>::min();

/// Python's `start:stop:step`, as LibTorch's `Slice`: an omitted step is 1; an omitted start is 0
/// (INDEX_MAX for a negative step), an omitted stop INDEX_MAX (INDEX_MIN for a negative step).
/// Bounds are clamped to the dimension when the slice is applied; negative bounds count from
/// the end. A step of 0 is a ValueError here; a negative step is accepted by the constructor
/// (as LibTorch) but refused by index()/index_put_() with ValueError, as LibTorch ("step must be
/// greater than zero").
///
///     Slice()            // :      printed 0:9223372036854775807:1
///     Slice(2, 6)        // 2:6    printed 2:6:1
///     Slice(None, 3)     // :3
///     Slice(None, None, 2)  // ::2
class Slice final {
 public:
  Slice(std::optional<int64_t> start = std::nullopt, std::optional<int64_t> stop = std::nullopt,
        std::optional<int64_t> step = std::nullopt);

  int64_t start() const { return start_; }
  int64_t stop() const { return stop_; }
  int64_t step() const { return step_; }

 private:
  int64_t start_;
  int64_t stop_;
  int64_t step_;
};

/// `start:stop:step` with every bound written out, as LibTorch (`1:9223372036854775807:2`).
std::ostream& operator<<(std::ostream& os, const Slice& slice);

/// One entry of an index list; implicitly constructible from each index kind.
class TensorIndex final {
 public:
  enum class Type { None, Ellipsis, Integer, Boolean, Slice, Tensor };

  TensorIndex(std::nullopt_t) : type_(Type::None) {}  // NOLINT
  TensorIndex(EllipsisIndexType) : type_(Type::Ellipsis) {}  // NOLINT
  /// Only `"..."` is accepted; anything else throws ValueError.
  TensorIndex(const char* str);  // NOLINT
  TensorIndex(int64_t integer) : type_(Type::Integer), integer_(integer) {}  // NOLINT
  TensorIndex(int integer) : type_(Type::Integer), integer_(integer) {}  // NOLINT
  template <class T, std::enable_if_t<std::is_same_v<T, bool>, int> = 0>
  TensorIndex(T boolean) : type_(Type::Boolean), boolean_(boolean) {}  // NOLINT
  TensorIndex(Slice slice) : type_(Type::Slice), slice_(slice) {}  // NOLINT
  TensorIndex(Tensor tensor) : type_(Type::Tensor), tensor_(std::move(tensor)) {}  // NOLINT

  Type type() const { return type_; }
  bool is_none() const { return type_ == Type::None; }
  bool is_ellipsis() const { return type_ == Type::Ellipsis; }
  bool is_integer() const { return type_ == Type::Integer; }
  bool is_boolean() const { return type_ == Type::Boolean; }
  bool is_slice() const { return type_ == Type::Slice; }
  bool is_tensor() const { return type_ == Type::Tensor; }

  int64_t integer() const { return integer_; }
  bool boolean() const { return boolean_; }
  const Slice& slice() const { return slice_; }
  const Tensor& tensor() const { return tensor_; }

 private:
  Type type_;
  int64_t integer_ = 0;
  bool boolean_ = false;
  Slice slice_;
  Tensor tensor_;
};

/// Python-like text of an index, e.g. `1:3:2`, `1:`, `...`, `None`, `True` and a tensor as
/// `Tensor(sizes=[3], dtype=int64)` (what xgrad's error messages show).
std::string to_string(const TensorIndex& index);

/// LibTorch's text of an index (`c10::str(index)`): `None`, `...`, the integer, `true`/`false`,
/// the slice as `start:stop:step` (see Slice) and a tensor as `operator<<` prints it.
std::ostream& operator<<(std::ostream& os, const TensorIndex& index);
/// The indices in parentheses, separated by ", " (`(None, ..., 0, 1:3:1)`), as LibTorch.
std::ostream& operator<<(std::ostream& os, const std::vector<TensorIndex>& indices);

}  // namespace xgrad::indexing

namespace xgrad {

/// ATen's `at::index(self, indices)`: advanced indexing with one optional tensor per leading
/// dimension of `self` (an empty optional keeps that whole dimension, as `Slice()` does; at
/// least one must be defined, else IndexError). Each tensor is an int64/int32 index or a
/// bool/uint8 mask, with the result shape of `Tensor::index` (PyTorch's rules for broadcasting
/// the index tensors and placing their dimensions); a 0-dim integer tensor is an advanced index
/// too (a copy, unlike `Tensor::index`), a 0-dim mask is an IndexError. Always a copy;
/// differentiable in self (IndexBackward0). Errors as Tensor::index (IndexError out of bounds,
/// including PyTorch's "index is out of bounds for dimension with size 0").
///
///     auto rows = xgrad::index(x, {xgrad::tensor({0, 2})});   // x[[0, 2]]
Tensor index(const Tensor& self, ArrayRef<std::optional<Tensor>> indices);
/// ATen's `at::index_put_(self, indices, values, accumulate)`: writes `values` (broadcast to the
/// indexed part; no leading size-1 stripping) at the elements `indices` select (as `index`), or
/// with `accumulate` adds them, where repeated indices add every value (PyTorch's
/// `index_put_(..., accumulate=True)` / `index_add`). `values` is converted to self's dtype.
/// Not differentiable (an in-place update: AutogradError when self or values need grad with
/// grad mode on); use index_put for gradients. Returns self.
Tensor& index_put_(const Tensor& self, ArrayRef<std::optional<Tensor>> indices, const Tensor& values,
                   bool accumulate = false);
/// Out-of-place index_put_: a copy of self with `values` written (or added, with `accumulate`)
/// at `indices`. Differentiable in self and values (IndexPutBackward0): self's gradient is the
/// incoming gradient with the written positions zeroed (kept, with accumulate); values' is the
/// incoming gradient gathered at the positions and summed to values' sizes. With accumulate=false
/// and repeated indices, the last value in row-major order wins (PyTorch leaves it unspecified).
/// PyTorch: `torch.index_put`.
Tensor index_put(const Tensor& self, ArrayRef<std::optional<Tensor>> indices, const Tensor& values,
                 bool accumulate = false);

}  // namespace xgrad
