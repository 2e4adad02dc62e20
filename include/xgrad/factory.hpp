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
/// literals bool; so do `std::vector<T>` and `ArrayRef<T>` of those types (a
/// `std::vector<double>` gives float32, as LibTorch 1.13's `torch::tensor`). As in LibTorch all
/// elements of a braced list must have one C++ type: `tensor({1, 2.0})`, `tensor({true, 1})`
/// and `tensor({1.0f, 2.0})` throw TypeError naming both types (write `{1., 2.}`). Ragged lists
/// (`{{1, 2}, {3}}`) throw ValueError naming the dimension.
///
/// Complex literals (`xgrad::complex<float>` / `<double>`, and vectors of them) give
/// complex64 / complex128. A real literal or vector converts to a complex dtype given in the
/// options; a complex literal to a real dtype only when its imaginary part is 0 (ValueError
/// "cannot be converted to type float without overflow" otherwise), and a complex vector never
/// (ValueError), as LibTorch.
///
/// Also declared here: `eye(n, m)`, the rectangular identity.

#include <xgrad/tensor.hpp>

#include <concepts>
#include <initializer_list>
#include <iosfwd>
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
  TensorDataContainer(bool v) : kind_(Kind::Scalar), type_(kBool), lit_(Literal::Bool), i_(v) {}  // NOLINT: implicit
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  TensorDataContainer(T v)  // NOLINT
      : kind_(Kind::Scalar), type_(kInt64), lit_(literal_of<T>()), i_(static_cast<int64_t>(v)) {}
  template <std::floating_point T>
  TensorDataContainer(T v)  // NOLINT
      : kind_(Kind::Scalar), type_(kFloat32), lit_(literal_of<T>()), d_(static_cast<double>(v)) {}
  TensorDataContainer(complex<float> v)  // NOLINT
      : kind_(Kind::Scalar), type_(kComplexFloat), lit_(Literal::ComplexFloat), d_(v.real()), im_(v.imag()) {}
  TensorDataContainer(complex<double> v)  // NOLINT
      : kind_(Kind::Scalar), type_(kComplexDouble), lit_(Literal::ComplexDouble), d_(v.real()), im_(v.imag()) {}
  TensorDataContainer(std::initializer_list<TensorDataContainer> list);  // NOLINT
  TensorDataContainer(const std::vector<float>& v);    // NOLINT
  TensorDataContainer(const std::vector<double>& v);   // NOLINT
  TensorDataContainer(const std::vector<int64_t>& v);  // NOLINT
  TensorDataContainer(const std::vector<int>& v);      // NOLINT
  TensorDataContainer(const std::vector<bool>& v);     // NOLINT
  TensorDataContainer(const std::vector<complex<float>>& v);   // NOLINT
  TensorDataContainer(const std::vector<complex<double>>& v);  // NOLINT
  TensorDataContainer(ArrayRef<float> v);    // NOLINT
  TensorDataContainer(ArrayRef<double> v);   // NOLINT
  TensorDataContainer(ArrayRef<int64_t> v);  // NOLINT
  TensorDataContainer(ArrayRef<int> v);      // NOLINT
  TensorDataContainer(ArrayRef<bool> v);     // NOLINT
  TensorDataContainer(ArrayRef<complex<float>> v);   // NOLINT
  TensorDataContainer(ArrayRef<complex<double>> v);  // NOLINT

  /// The node's kind, as LibTorch's: a scalar literal, a braced list, or a 1-D std::vector /
  /// ArrayRef of values (which LibTorch holds as a tensor).
  bool is_scalar() const { return kind_ == Kind::Scalar; }
  bool is_init_list() const { return kind_ == Kind::List; }
  bool is_tensor() const { return kind_ == Kind::Vector; }
  /// The literal's value. ValueError unless is_scalar(), with LibTorch's message
  /// ("Can only call `scalar()` on a TensorDataContainer that has `is_scalar() == true`").
  Scalar scalar() const;
  /// The elements of a braced list (LibTorch returns the std::initializer_list; this view
  /// iterates the same way). ValueError unless is_init_list(), with LibTorch's message.
  ArrayRef<TensorDataContainer> init_list() const;
  /// The values of a std::vector / ArrayRef node as a new 1-D tensor of the element type
  /// (float: kFloat32, double: kFloat64, int: kInt32, int64_t: kInt64, bool: kBool), as
  /// LibTorch holds them. ValueError unless is_tensor(), with LibTorch's message.
  Tensor tensor() const;
  /// The C++ type of the literals as a ScalarType (a `double` literal is kFloat64, an `int`
  /// kInt32 ...), as LibTorch's `scalar_type()`; for an empty `{}`, the default dtype.
  ScalarType scalar_type() const;
  /// Sizes read along the first element of every level (validated by to_tensor()).
  std::vector<int64_t> sizes() const;
  /// The promoted literal type, or nullopt when there are no scalars at all (`{{}, {}}`).
  std::optional<ScalarType> inferred_dtype() const;
  Tensor to_tensor(TensorOptions options) const;

 private:
  friend std::ostream& operator<<(std::ostream& os, const TensorDataContainer& data);
  enum class Kind : uint8_t { Scalar, List, Vector };
  // The C++ type of the literals (LibTorch's scalar_type() of a container): a braced list
  // needs one for all its elements. None for an empty `{}`.
  enum class Literal : uint8_t { None, Bool, Int8, UInt8, Int16, Int32, Int64, Float, Double, ComplexFloat, ComplexDouble };
  template <typename T>
  static constexpr Literal literal_of() {
    if constexpr (std::floating_point<T>)
      return sizeof(T) == sizeof(float) ? Literal::Float : Literal::Double;
    else if constexpr (sizeof(T) == 1)
      return std::is_signed_v<T> ? Literal::Int8 : Literal::UInt8;
    else if constexpr (sizeof(T) == 2)
      return Literal::Int16;
    else if constexpr (sizeof(T) == 4)
      return Literal::Int32;
    else
      return Literal::Int64;
  }
  static const char* literal_name(Literal l);
  void check_regular(size_t depth = 0) const;
  void fill(const Tensor& out, int64_t& index) const;

  Kind kind_;
  ScalarType type_ = kFloat32;
  Literal lit_ = Literal::None;
  double d_ = 0.0;   // a floating literal, or a complex literal's real part
  double im_ = 0.0;  // a complex literal's imaginary part
  int64_t i_ = 0;
  std::vector<TensorDataContainer> children_;
  std::vector<double> dvec_;   // std::vector<float/double> payload
  std::vector<int64_t> ivec_;  // std::vector<int64_t/int/bool> payload
  std::vector<complex<double>> cvec_;  // std::vector<complex<float/double>> payload

  bool is_complex_node() const { return lit_ == Literal::ComplexFloat || lit_ == Literal::ComplexDouble; }
  size_t vector_size() const { return is_complex_node() ? cvec_.size() : dvec_.empty() ? ivec_.size() : dvec_.size(); }
};

/// LibTorch's text of a literal tree: a scalar as `operator<<` prints its C++ type (`1.1`,
/// `2`; a bool as `1`/`0`), a list or vector in braces with ", " (`{{1, 2}, {3, 4}}`, `{}`).
/// (LibTorch streams an int8/uint8 literal as a character; xgrad prints its number.)
std::ostream& operator<<(std::ostream& os, const TensorDataContainer& data);

}  // namespace detail

/// A tensor holding a copy of `data` (any nesting depth). `options` sets dtype and
/// requires_grad; without a dtype the literals decide (see the file comment).
///
///     auto k = xgrad::tensor({{0., 1.}, {2., 3.}});
Tensor tensor(const detail::TensorDataContainer& data, TensorOptions options = {});

/// An `n x m` matrix with ones on the diagonal (torch.eye(n, m)).
Tensor eye(int64_t n, int64_t m, TensorOptions options = {});

}  // namespace xgrad
