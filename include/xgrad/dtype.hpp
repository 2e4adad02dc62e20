#pragma once
/// \file
/// Element types and `TensorOptions`, named as in LibTorch:
///
///     auto x = xgrad::zeros({2, 3}, xgrad::kFloat64);
///     auto w = xgrad::randn({3}, xgrad::TensorOptions().requires_grad(true));

#include <xgrad/device.hpp>
#include <xgrad/error.hpp>

#include <complex>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string_view>

namespace xgrad {

/// Element types. Float, Double, Long, Bool, Int, Byte, Char and Short are storage dtypes
/// (float32, float64, int64, bool, int32, uint8, int8, int16) that every op computes with.
/// ComplexFloat and ComplexDouble (complex64, complex128; elements `xgrad::complex<float>` /
/// `<double>`) are stored, created (`tensor(...)`, `zeros`, `empty`), converted from real and
/// complex dtypes (`to`, `copy_`, `clone`; to a real dtype is a TypeError, where PyTorch keeps the
/// real part with a warning), viewed and indexed, read (`item<complex<double>>()`), compared (`equal`,
/// `allclose`) and printed; any other op on them throws TypeError naming the op. Half and
/// BFloat16 are named so that LibTorch programs mentioning them compile, but xgrad has no storage
/// for them: creating or converting to one throws TypeError (see is_supported()).
enum class ScalarType : int8_t {
  Float,
  Double,
  Long,
  Bool,
  Int,
  Byte,
  Char,
  Short,
  Half,
  BFloat16,
  ComplexFloat,
  ComplexDouble
};
using Dtype = ScalarType;

constexpr ScalarType kFloat32 = ScalarType::Float;
constexpr ScalarType kFloat = ScalarType::Float;
constexpr ScalarType kFloat64 = ScalarType::Double;
constexpr ScalarType kDouble = ScalarType::Double;
constexpr ScalarType kInt64 = ScalarType::Long;
constexpr ScalarType kLong = ScalarType::Long;
/// Results of comparisons, as in PyTorch.
constexpr ScalarType kBool = ScalarType::Bool;
constexpr ScalarType kInt32 = ScalarType::Int;
constexpr ScalarType kInt = ScalarType::Int;
constexpr ScalarType kUInt8 = ScalarType::Byte;
constexpr ScalarType kByte = ScalarType::Byte;
constexpr ScalarType kInt8 = ScalarType::Char;
constexpr ScalarType kChar = ScalarType::Char;
constexpr ScalarType kInt16 = ScalarType::Short;
constexpr ScalarType kShort = ScalarType::Short;
/// Named only: making a tensor of these throws TypeError.
constexpr ScalarType kFloat16 = ScalarType::Half;
constexpr ScalarType kHalf = ScalarType::Half;
constexpr ScalarType kBFloat16 = ScalarType::BFloat16;
/// Stored, with the limited set of ops listed above.
constexpr ScalarType kComplexFloat = ScalarType::ComplexFloat;
constexpr ScalarType kComplexDouble = ScalarType::ComplexDouble;
constexpr ScalarType kComplex64 = ScalarType::ComplexFloat;
constexpr ScalarType kComplex128 = ScalarType::ComplexDouble;

/// LibTorch's `c10::complex<T>`: the element type of complex tensors. std::complex has the same
/// layout (real part, then imaginary part) and the arithmetic and std::abs a program expects.
template <typename T>
using complex = std::complex<T>;

/// PyTorch's name: "torch.float32" without the module prefix ("float32", "int32", "uint8").
std::string_view dtype_name(ScalarType t);
/// Bytes per element (8 for complex64, 16 for complex128; also for the named-only types: 2 for float16).
size_t element_size(ScalarType t);
/// Prints as Python does: `torch.float32`.
inline std::ostream& operator<<(std::ostream& os, ScalarType t) { return os << "torch." << dtype_name(t); }
/// float32 and float64 (float16/bfloat16 count too, as in PyTorch, though xgrad cannot store them).
constexpr bool is_floating_point(ScalarType t) {
  return t == ScalarType::Float || t == ScalarType::Double || t == ScalarType::Half || t == ScalarType::BFloat16;
}
constexpr bool is_complex(ScalarType t) { return t == ScalarType::ComplexFloat || t == ScalarType::ComplexDouble; }
/// PyTorch's isIntegralType(t, includeBool).
constexpr bool is_integral(ScalarType t, bool include_bool) {
  return t == ScalarType::Long || t == ScalarType::Int || t == ScalarType::Short || t == ScalarType::Char ||
         t == ScalarType::Byte || (include_bool && t == ScalarType::Bool);
}
/// PyTorch's isSignedType: false for uint8 and bool.
constexpr bool is_signed(ScalarType t) { return t != ScalarType::Byte && t != ScalarType::Bool; }
/// Whether xgrad has storage for `t` (false for float16 and bfloat16 only; the complex types
/// are stored, with few ops: see ScalarType).
constexpr bool is_supported(ScalarType t) {
  return static_cast<int>(t) <= static_cast<int>(ScalarType::Short) || is_complex(t);
}

template <typename T>
constexpr ScalarType scalar_type_of();
template <>
constexpr ScalarType scalar_type_of<float>() { return kFloat32; }
template <>
constexpr ScalarType scalar_type_of<double>() { return kFloat64; }
template <>
constexpr ScalarType scalar_type_of<int64_t>() { return kInt64; }
template <>
constexpr ScalarType scalar_type_of<bool>() { return kBool; }
template <>
constexpr ScalarType scalar_type_of<int32_t>() { return kInt32; }
template <>
constexpr ScalarType scalar_type_of<uint8_t>() { return kUInt8; }
template <>
constexpr ScalarType scalar_type_of<int8_t>() { return kInt8; }
template <>
constexpr ScalarType scalar_type_of<int16_t>() { return kInt16; }
template <>
constexpr ScalarType scalar_type_of<complex<float>>() { return kComplexFloat; }
template <>
constexpr ScalarType scalar_type_of<complex<double>>() { return kComplexDouble; }

/// LibTorch's `caffe2::TypeMeta`, reduced to what programs do with it: a value naming an element
/// type, which get_default_dtype() returns and set_default_dtype() takes. Convert with
/// scalarTypeToTypeMeta() / typeMetaToScalarType() as LibTorch programs do.
class TypeMeta {
 public:
  constexpr TypeMeta() = default;
  static constexpr TypeMeta fromScalarType(ScalarType t) { return TypeMeta(t); }
  constexpr ScalarType toScalarType() const { return t_; }
  /// "float32", as dtype_name().
  std::string_view name() const { return dtype_name(t_); }
  size_t itemsize() const { return element_size(t_); }
  friend constexpr bool operator==(TypeMeta a, TypeMeta b) { return a.t_ == b.t_; }
  friend constexpr bool operator==(TypeMeta a, ScalarType b) { return a.t_ == b; }

 private:
  constexpr explicit TypeMeta(ScalarType t) : t_(t) {}
  ScalarType t_ = ScalarType::Float;
};
inline std::ostream& operator<<(std::ostream& os, TypeMeta t) { return os << t.toScalarType(); }
constexpr TypeMeta scalarTypeToTypeMeta(ScalarType t) { return TypeMeta::fromScalarType(t); }
constexpr ScalarType typeMetaToScalarType(TypeMeta t) { return t.toScalarType(); }

/// The dtype of factories given no dtype and of floating literals in tensor({...}): float32
/// until set_default_dtype() changes it (process-wide, as PyTorch's torch.get_default_dtype()).
TypeMeta get_default_dtype();
ScalarType get_default_dtype_as_scalartype();
/// Sets the default dtype. Only float32 and float64 are accepted; anything else throws
/// TypeError, as PyTorch ("only floating-point types are supported as the default type").
void set_default_dtype(TypeMeta dtype);

/// PyTorch's `torch.promote_types(a, b)`: the dtype both convert to in arithmetic. float64 >
/// float32 > integers > bool; among integers the wider one, and uint8 with int8 gives int16; a
/// complex type with any other gives complex (complex128 when either side is 64-bit floating
/// or complex128). TypeError for the named-only dtypes.
ScalarType promote_types(ScalarType a, ScalarType b);

/// Options for factories: dtype, device and requires_grad, chainable as in LibTorch.
///
/// The device may only be the CPU: `device(kCUDA)` (and the implicit `TensorOptions(kCUDA)`)
/// throws ValueError naming the device, so no factory can silently make a CPU tensor where the
/// program asked for another device.
class TensorOptions {
 public:
  TensorOptions() = default;
  TensorOptions(ScalarType d) : dtype_(d), has_dtype_(true) {}  // NOLINT: `zeros({2}, kFloat64)` like LibTorch
  TensorOptions(Device d) { detail::check_cpu_device(d, "TensorOptions"); }  // NOLINT: `zeros({2}, device)`
  TensorOptions(DeviceType t) : TensorOptions(Device(t)) {}  // NOLINT: `zeros({2}, kCPU)`
  TensorOptions(const char* device) : TensorOptions(Device(device)) {}  // NOLINT: `zeros({2}, "cpu")`
  /// `x.to({kCUDA, 0})`, as LibTorch's options made from a device's arguments: ValueError for
  /// an index outside [-1, 127] and, as above, for any device but the CPU.
  TensorOptions(DeviceType t, int64_t index) : TensorOptions(Device(t, checked_device_index(index))) {}

  /// Throws ValueError for any device but the CPU.
  TensorOptions device(Device d) const { detail::check_cpu_device(d, "TensorOptions::device"); return *this; }
  /// Always the CPU.
  Device device() const { return Device(kCPU); }
  bool has_device() const { return false; }

  TensorOptions dtype(ScalarType d) const { auto o = *this; o.dtype_ = d; o.has_dtype_ = true; return o; }
  TensorOptions requires_grad(bool r) const { auto o = *this; o.requires_grad_ = r; return o; }

  /// The dtype given, else the default dtype (get_default_dtype(): float32 unless changed).
  ScalarType dtype() const { return has_dtype_ ? dtype_ : get_default_dtype_as_scalartype(); }
  bool requires_grad() const { return requires_grad_; }
  /// Whether a dtype was given explicitly (`zeros_like(x, requires_grad())` keeps x's dtype).
  bool has_dtype() const { return has_dtype_; }

 private:
  static Device::DeviceIndex checked_device_index(int64_t index) {
    XGRAD_CHECK(index >= -1 && index <= std::numeric_limits<Device::DeviceIndex>::max(), ValueError,
                "TensorOptions: device index {} is out of range [-1, {}]", index,
                int{std::numeric_limits<Device::DeviceIndex>::max()});
    return static_cast<Device::DeviceIndex>(index);
  }

  ScalarType dtype_ = kFloat32;
  bool has_dtype_ = false;
  bool requires_grad_ = false;
};

inline TensorOptions dtype(ScalarType d) { return TensorOptions().dtype(d); }
/// `torch::device(d)`: options with a device (the CPU; any other throws ValueError).
inline TensorOptions device(Device d) { return TensorOptions().device(d); }
inline TensorOptions requires_grad(bool r = true) { return TensorOptions().requires_grad(r); }

}  // namespace xgrad
