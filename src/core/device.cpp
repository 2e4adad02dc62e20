// Device names and their parsing (include/xgrad/device.hpp). Nothing here allocates on a device:
// xgrad has one, the CPU, and every other device is refused where it would be used.
#include <xgrad/device.hpp>
#include <xgrad/error.hpp>

#include <array>
#include <charconv>
#include <utility>

namespace xgrad {
namespace {
struct NamedType {
  const char* name;
  DeviceType type;
};
// LibTorch's spellings of the device types a string may start with.
constexpr std::array<NamedType, 12> kNames{{{"cpu", DeviceType::CPU},
                                            {"cuda", DeviceType::CUDA},
                                            {"mkldnn", DeviceType::MKLDNN},
                                            {"opengl", DeviceType::OPENGL},
                                            {"opencl", DeviceType::OPENCL},
                                            {"ideep", DeviceType::IDEEP},
                                            {"hip", DeviceType::HIP},
                                            {"xla", DeviceType::XLA},
                                            {"vulkan", DeviceType::Vulkan},
                                            {"metal", DeviceType::Metal},
                                            {"mps", DeviceType::MPS},
                                            {"meta", DeviceType::Meta}}};

std::string known_names() {
  std::string s;
  for (const auto& n : kNames) s += (s.empty() ? "" : ", ") + std::string(n.name);
  return s;
}
}  // namespace

std::string DeviceTypeName(DeviceType t, bool lower_case) {
  for (const auto& n : kNames) {
    if (n.type != t) continue;
    std::string s = n.name;
    if (!lower_case)
      for (auto& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return s;
  }
  return "UNKNOWN_DEVICE_TYPE_" + std::to_string(static_cast<int>(t));
}

std::ostream& operator<<(std::ostream& os, DeviceType t) { return os << DeviceTypeName(t, true); }

Device::Device(DeviceType type, DeviceIndex index) : type_(type), index_(index) {
  XGRAD_CHECK(index >= -1, ValueError, "Device: the index must be -1 (none) or non-negative, got {}",
              static_cast<int>(index));
  // LibTorch 1.13 checks a CPU index only in debug builds, so its release builds (the ones users
  // have) accept "cpu:1"; so does xgrad: every CPU index names the same, only, CPU.
}

Device::Device(const std::string& spec) : type_(DeviceType::CPU) {
  const auto colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  bool found = false;
  for (const auto& n : kNames) {
    if (name == n.name) {
      type_ = n.type;
      found = true;
    }
  }
  XGRAD_CHECK(found, ValueError, "Device: expected one of {} at the start of the device string, got \"{}\"",
              known_names(), spec);
  if (colon != std::string::npos) {
    const std::string digits = spec.substr(colon + 1);
    int value = -1;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    XGRAD_CHECK(!digits.empty() && ec == std::errc() && end == digits.data() + digits.size() && value >= 0 &&
                    value <= 127 && (digits.size() == 1 || digits[0] != '0'),
                ValueError, "Device: invalid device string \"{}\" (the index after ':' must be 0..127)", spec);
    index_ = static_cast<DeviceIndex>(value);
  }
  *this = Device(type_, index_);  // the same index rules as the (type, index) constructor
}

std::string Device::str() const {
  // fmt rather than `s += ":" + std::to_string(i)`, on which GCC 12 reports a false -Wrestrict.
  return has_index() ? fmt::format("{}:{}", DeviceTypeName(type_, true), static_cast<int>(index_))
                     : DeviceTypeName(type_, true);
}

std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

namespace detail {
void check_cpu_device(const Device& d, const char* op) {
  XGRAD_CHECK(d.is_cpu(), ValueError,
              "{}: xgrad computes on the CPU only; device {} is not available (use xgrad::kCPU, or test "
              "xgrad::cuda::is_available() first, as LibTorch programs do)",
              op, d.str());
}
}  // namespace detail
}  // namespace xgrad
