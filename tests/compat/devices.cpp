// Devices and the small LibTorch utilities (c10::str, c10::irange): what a LibTorch program
// prints with them on a CPU machine. Built against xgrad here, compared with the LibTorch 1.13
// output in devices.libtorch.txt.
#include "compat.hpp"

#include <iostream>
#include <vector>

int main() {
  for (const char* spec : {"cpu", "cuda", "cuda:1", "mps", "meta", "cpu:0"}) {
    xg::Device d(spec);
    std::cout << spec << " -> " << d << " str=" << d.str() << " has_index=" << d.has_index()
              << " index=" << static_cast<int>(d.index()) << " is_cpu=" << d.is_cpu() << " is_cuda=" << d.is_cuda()
              << " type=" << d.type() << "\n";
  }
  std::cout << "Device(kCUDA, 2) = " << xg::Device(xg::kCUDA, 2) << "\n";
  std::cout << "kCPU == Device(\"cpu\"): " << (xg::Device(xg::kCPU) == xg::Device("cpu")) << "\n";
  std::cout << "Device(\"cpu\") == Device(\"cpu:0\"): " << (xg::Device("cpu") == xg::Device("cpu:0")) << "\n";
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda:-1", "cpu:1", "cuda:01"}) {
    try {
      xg::Device d(bad);
      std::cout << bad << " accepted as " << d << "\n";
    } catch (const std::exception&) {
      std::cout << bad << " rejected\n";
    }
  }
  std::cout << "cuda::is_available() = " << xg::cuda::is_available() << "\n";
  std::cout << "cuda::device_count() = " << xg::cuda::device_count() << "\n";

  // The usual device-agnostic program.
  xg::Device device(xg::cuda::is_available() ? xg::kCUDA : xg::kCPU);
  auto x = xg::ones({2, 3}, xg::TensorOptions().device(device).dtype(xg::kFloat64));
  auto y = xg::zeros({2}, xg::kCPU);
  auto z = x.to(device);
  auto w = x.to(device, xg::kFloat32);
  auto c = x.to(xg::kFloat64, /*non_blocking=*/false, /*copy=*/true);
  std::cout << "x.device() = " << x.device() << ", is_cpu " << x.is_cpu() << ", is_cuda " << x.is_cuda() << "\n";
  std::cout << "y sizes " << y.sizes() << " device " << y.device() << "\n";
  std::cout << "x.to(cpu) is x: " << z.is_same(x) << "; to(cpu, float32) is float32 " << (w.dtype() == xg::kFloat32)
            << "; to(float64, copy) is x: " << c.is_same(x) << "\n";
  std::cout << "x.cpu() is x: " << x.cpu().is_same(x) << "\n";
  std::cout << "x.to(kCPU, false, true) is x: " << x.to(xg::kCPU, false, true).is_same(x) << "\n";
  xg::nn::Linear lin(3, 2);
  lin->to(device);
  lin->to(xg::kCPU, xg::kFloat64);
  std::cout << "linear weight is float64 after to(kCPU, kFloat64): " << (lin->weight.dtype() == xg::kFloat64) << "\n";

  std::cout << "str: " << xg::str("a", 1, ' ', 2.5, " ", x.sizes()) << "|" << xg::str() << "|\n";
  std::vector<int64_t> seen;
  for (const auto i : xg::irange(4)) seen.push_back(i);
  for (const auto i : xg::irange(2, 5)) seen.push_back(i);
  for (const auto i : xg::irange(3, 1)) seen.push_back(i);
  for (const auto i : xg::irange(x.size(1))) seen.push_back(i);
  std::cout << "Join: [" << xg::Join(", ", seen) << "] [" << xg::Join("-", std::vector<int>{}) << "]\n";
  xg::optional<int64_t> none = xg::nullopt;
  std::cout << "optional: " << none.has_value() << " " << xg::make_optional<int64_t>(3).value() << "\n";
  std::cout << "irange:";
  for (auto v : seen) std::cout << " " << v;
  std::cout << "\n";
}
