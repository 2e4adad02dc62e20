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
/// dimension of size 1/0. A kInt64 tensor picks entries along a dimension (as index_select) and
/// a kBool mask picks the elements where it is true (flattened into one dimension); both give
/// copies, the other index kinds give views sharing storage.

#include <xgrad/tensor.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>

namespace xgrad::indexing {

/// Python's `None` in an index (a new dimension of size 1); also an omitted Slice bound.
constexpr std::nullopt_t None = std::nullopt;

/// Python's `...`.
struct EllipsisIndexType final {
  EllipsisIndexType() = default;
};
inline constexpr EllipsisIndexType Ellipsis{};

/// Python's `start:stop:step`; omitted bounds default to the whole dimension.
///
///     Slice()            // :
///     Slice(2, 6)        // 2:6
///     Slice(None, 3)     // :3
///     Slice(None, None, 2)  // ::2
class Slice final {
 public:
  Slice(std::optional<int64_t> start = std::nullopt, std::optional<int64_t> stop = std::nullopt,
        std::optional<int64_t> step = std::nullopt)
      : start_(start), stop_(stop), step_(step.value_or(1)) {}

  std::optional<int64_t> start() const { return start_; }
  std::optional<int64_t> stop() const { return stop_; }
  int64_t step() const { return step_; }

 private:
  std::optional<int64_t> start_;
  std::optional<int64_t> stop_;
  int64_t step_;
};

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

/// Python-like text of an index, e.g. `1:3:2`, `...`, `None`, `Tensor([3])` (for messages).
std::string to_string(const TensorIndex& index);

}  // namespace xgrad::indexing
