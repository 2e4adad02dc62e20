#pragma once
/// \file
/// Element types and `TensorOptions`, named as in LibTorch:
///
///     auto x = xgrad::zeros({2, 3}, xgrad::kFloat64);
///     auto w = xgrad::randn({3}, xgrad::TensorOptions().requires_grad(true));

#include <xgrad/device.hpp>

#include <cstdint>
#include <ostream>
#include <string_view>

namespace xgrad {

enum class ScalarType : int8_t { Float, Double, Long, Bool };
using Dtype = ScalarType;

constexpr ScalarType kFloat32 = ScalarType::Float;
constexpr ScalarType kFloat = ScalarType::Float;
constexpr ScalarType kFloat64 = ScalarType::Double;
constexpr ScalarType kDouble = ScalarType::Double;
constexpr ScalarType kInt64 = ScalarType::Long;
constexpr ScalarType kLong = ScalarType::Long;
/// Results of comparisons, as in PyTorch.
constexpr ScalarType kBool = ScalarType::Bool;

/// PyTorch's name: "torch.float32" without the module prefix ("float32").
std::string_view dtype_name(ScalarType t);
size_t element_size(ScalarType t);
/// Prints as Python does: `torch.float32`.
inline std::ostream& operator<<(std::ostream& os, ScalarType t) { return os << "torch." << dtype_name(t); }
constexpr bool is_floating_point(ScalarType t) { return t == ScalarType::Float || t == ScalarType::Double; }

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

  /// Throws ValueError for any device but the CPU.
  TensorOptions device(Device d) const { detail::check_cpu_device(d, "TensorOptions::device"); return *this; }
  /// Always the CPU.
  Device device() const { return Device(kCPU); }
  bool has_device() const { return false; }

  TensorOptions dtype(ScalarType d) const { auto o = *this; o.dtype_ = d; o.has_dtype_ = true; return o; }
  TensorOptions requires_grad(bool r) const { auto o = *this; o.requires_grad_ = r; return o; }

  ScalarType dtype() const { return dtype_; }
  bool requires_grad() const { return requires_grad_; }
  /// Whether a dtype was given explicitly (`zeros_like(x, requires_grad())` keeps x's dtype).
  bool has_dtype() const { return has_dtype_; }

 private:
  ScalarType dtype_ = kFloat32;
  bool has_dtype_ = false;
  bool requires_grad_ = false;
};

inline TensorOptions dtype(ScalarType d) { return TensorOptions().dtype(d); }
/// `torch::device(d)`: options with a device (the CPU; any other throws ValueError).
inline TensorOptions device(Device d) { return TensorOptions().device(d); }
inline TensorOptions requires_grad(bool r = true) { return TensorOptions().requires_grad(r); }

}  // namespace xgrad
