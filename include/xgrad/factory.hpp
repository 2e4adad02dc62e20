#pragma once
/// \file
/// `xgrad::tensor(...)`: tensors from (nested) braced lists, as LibTorch's `torch::tensor`.
///
///     auto x = xgrad::tensor({{1., 2.}, {3., 4.}});          // float32, sizes [2, 2]
///     auto i = xgrad::tensor({1, 2, 3});                      // int64
///     auto b = xgrad::tensor({true, false});                  // bool
///     auto d = xgrad::tensor({1, 2}, xgrad::kFloat64);        // float64
///     auto w = xgrad::tensor({0.5, -0.5}, xgrad::requires_grad());
///     auto s = xgrad::tensor(3.);                             // 0-d
///
/// Floating literals give float32 (PyTorch's default dtype), integer literals int64, `bool`
/// literals bool; mixed literals promote (bool < int64 < float32). A `std::vector<double>` gives
/// float64, as in LibTorch. Ragged lists (`{{1, 2}, {3}}`) throw ValueError naming the dimension.
///
/// Also declared here: `eye(n, m)`, the rectangular identity.

#include <xgrad/tensor.hpp>

#include <concepts>
#include <initializer_list>
#include <optional>
#include <vector>

namespace xgrad {

namespace detail {

/// One node of the literal tree given to `xgrad::tensor`: a scalar, a braced list of nodes, or a
/// 1-D std::vector. Users never name it; braced lists convert to it implicitly.
class TensorDataContainer {
 public:
  /// `{}`: an empty 1-D list (`tensor({})` has sizes [0]).
  TensorDataContainer() : kind_(Kind::List) {}
  TensorDataContainer(bool v) : kind_(Kind::Scalar), type_(kBool), i_(v) {}  // NOLINT: implicit by design
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  TensorDataContainer(T v) : kind_(Kind::Scalar), type_(kInt64), i_(static_cast<int64_t>(v)) {}  // NOLINT
  template <std::floating_point T>
  TensorDataContainer(T v) : kind_(Kind::Scalar), type_(kFloat32), d_(static_cast<double>(v)) {}  // NOLINT
  TensorDataContainer(std::initializer_list<TensorDataContainer> list);  // NOLINT
  TensorDataContainer(const std::vector<float>& v);    // NOLINT
  TensorDataContainer(const std::vector<double>& v);   // NOLINT
  TensorDataContainer(const std::vector<int64_t>& v);  // NOLINT
  TensorDataContainer(const std::vector<int>& v);      // NOLINT
  TensorDataContainer(const std::vector<bool>& v);     // NOLINT

  /// Sizes read along the first element of every level (validated by to_tensor()).
  std::vector<int64_t> sizes() const;
  /// The promoted literal type, or nullopt when there are no scalars at all (`{{}, {}}`).
  std::optional<ScalarType> inferred_dtype() const;
  Tensor to_tensor(TensorOptions options) const;

 private:
  enum class Kind : uint8_t { Scalar, List, Vector };
  void validate(IntArrayRef sizes, size_t dim) const;
  void fill(const Tensor& out, int64_t& index) const;

  Kind kind_;
  ScalarType type_ = kFloat32;
  double d_ = 0.0;
  int64_t i_ = 0;
  std::vector<TensorDataContainer> children_;
  std::vector<double> dvec_;   // std::vector<float/double> payload
  std::vector<int64_t> ivec_;  // std::vector<int64_t/int/bool> payload
};

}  // namespace detail

/// A tensor holding a copy of `data` (any nesting depth). `options` sets dtype and
/// requires_grad; without a dtype the literals decide (see the file comment).
///
///     auto k = xgrad::tensor({{0., 1.}, {2., 3.}});
Tensor tensor(const detail::TensorDataContainer& data, TensorOptions options = {});

/// An `n x m` matrix with ones on the diagonal (torch.eye(n, m)).
Tensor eye(int64_t n, int64_t m, TensorOptions options = {});

}  // namespace xgrad
