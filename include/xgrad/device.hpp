#pragma once
/// \file
/// Devices, as LibTorch's `c10::Device`. xgrad computes on the CPU only; the type exists so that
/// LibTorch programs written for any device compile unchanged:
///
///     xgrad::Device device(xgrad::cuda::is_available() ? xgrad::kCUDA : xgrad::kCPU);
///     model->to(device);
///     auto x = xgrad::zeros({2, 3}, xgrad::TensorOptions().device(device));
///
/// Naming a device is always allowed; *using* a device other than the CPU (a factory with
/// `.device(kCUDA)`, `tensor.to(kCUDA)`, `module->to(Device("cuda:0"))`) throws
/// `xgrad::ValueError` naming the device, as a CPU-only LibTorch build does.

#include <cstdint>
#include <ostream>
#include <string>

namespace xgrad {

/// The kinds of device LibTorch names (`c10::DeviceType`); only `CPU` can hold xgrad tensors.
enum class DeviceType : int8_t { CPU = 0, CUDA = 1, MKLDNN = 2, OPENGL = 3, OPENCL = 4, IDEEP = 5, HIP = 6, XLA = 9, Vulkan = 10, Metal = 11, MPS = 13, Meta = 14 };

constexpr DeviceType kCPU = DeviceType::CPU;
constexpr DeviceType kCUDA = DeviceType::CUDA;
constexpr DeviceType kHIP = DeviceType::HIP;
constexpr DeviceType kMPS = DeviceType::MPS;
constexpr DeviceType kMeta = DeviceType::Meta;

/// Lower-case name as LibTorch prints it ("cpu", "cuda"); `lower_case = false` gives "CPU".
std::string DeviceTypeName(DeviceType t, bool lower_case = false);
std::ostream& operator<<(std::ostream& os, DeviceType t);

/// A device: a type and an optional index (-1 = none), as `c10::Device`.
class Device {
 public:
  using DeviceIndex = int8_t;
  /// `Device(kCPU)`, `Device(kCUDA, 1)`. Throws ValueError for an index below -1.
  Device(DeviceType type, DeviceIndex index = -1);  // NOLINT: implicit as in LibTorch
  /// Parses "cpu", "cuda", "cuda:1", "mps", ... Throws ValueError naming the string otherwise.
  Device(const std::string& spec);  // NOLINT
  Device(const char* spec) : Device(std::string(spec)) {}  // NOLINT

  DeviceType type() const noexcept { return type_; }
  DeviceIndex index() const noexcept { return index_; }
  bool has_index() const noexcept { return index_ != -1; }
  bool is_cpu() const noexcept { return type_ == DeviceType::CPU; }
  bool is_cuda() const noexcept { return type_ == DeviceType::CUDA; }
  bool is_mps() const noexcept { return type_ == DeviceType::MPS; }
  bool is_meta() const noexcept { return type_ == DeviceType::Meta; }
  void set_index(DeviceIndex index) { *this = Device(type_, index); }
  /// "cpu", "cuda:1".
  std::string str() const;

  bool operator==(const Device& o) const noexcept { return type_ == o.type_ && index_ == o.index_; }
  bool operator!=(const Device& o) const noexcept { return !(*this == o); }

 private:
  DeviceType type_;
  DeviceIndex index_ = -1;
};

std::ostream& operator<<(std::ostream& os, const Device& d);

namespace detail {
/// Throws ValueError "<op>: xgrad runs on the CPU only; device <d> is not available ..." unless
/// `d` is the CPU.
void check_cpu_device(const Device& d, const char* op);
}  // namespace detail

/// `torch::cuda`: xgrad has no CUDA backend, so these report none.
namespace cuda {
/// Always false (`torch::cuda::is_available()`).
inline bool is_available() noexcept { return false; }
/// Always 0 (`torch::cuda::device_count()`).
inline int64_t device_count() noexcept { return 0; }
/// Always false (`torch::cuda::cudnn_is_available()`).
inline bool cudnn_is_available() noexcept { return false; }
}  // namespace cuda

/// `torch::mps::is_available()`: always false.
namespace mps {
inline bool is_available() noexcept { return false; }
}  // namespace mps

}  // namespace xgrad
