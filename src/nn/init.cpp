// nn::init: in-place parameter initialisers. They write through NoGradGuard, as LibTorch's do,
// so they can fill leaves that require grad.

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/init.hpp>

#include <cmath>

namespace xgrad::nn::init {

namespace {

void check_tensor(const Tensor& t, const char* op) {
  XGRAD_CHECK(t.defined(), ValueError, "{}: cannot initialise an undefined tensor", op);
  XGRAD_CHECK(t.is_floating_point(), TypeError, "{}: expected a floating-point tensor, got {}", op,
              dtype_name(t.dtype()));
}

// The fans need a weight-like tensor; checked here so the message names the calling initializer.
void check_fan_dims(const Tensor& t, const char* op) {
  XGRAD_CHECK(t.dim() >= 2, ValueError,
              "{}: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (sizes {})", op,
              to_string(t.sizes()));
}

int64_t fan(const Tensor& t, const FanModeType& mode, const char* op) {
  check_fan_dims(t, op);
  const auto [fan_in, fan_out] = _calculate_fan_in_and_fan_out(t);
  return std::holds_alternative<enumtype::kFanIn>(mode) ? fan_in : fan_out;
}

}  // namespace

double calculate_gain(NonlinearityType nonlinearity, double param) {
  if (std::holds_alternative<enumtype::kTanh>(nonlinearity)) return 5.0 / 3.0;
  if (std::holds_alternative<enumtype::kReLU>(nonlinearity)) return std::sqrt(2.0);
  if (std::holds_alternative<enumtype::kLeakyReLU>(nonlinearity)) {
    // A NaN or infinite slope would give a NaN / zero gain that silently ruins the initialisation.
    XGRAD_CHECK(std::isfinite(param), ValueError, "calculate_gain: negative_slope {} is not a valid number", param);
    return std::sqrt(2.0 / (1.0 + param * param));
  }
  return 1.0;  // linear, conv*, sigmoid
}

std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor) {
  XGRAD_CHECK(tensor.defined(), ValueError, "_calculate_fan_in_and_fan_out: undefined tensor");
  check_fan_dims(tensor, "_calculate_fan_in_and_fan_out");
  int64_t receptive = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive *= tensor.size(d);
  return {tensor.size(1) * receptive, tensor.size(0) * receptive};
}

Tensor constant_(Tensor tensor, double value) {
  check_tensor(tensor, "constant_");
  NoGradGuard no_grad;
  tensor.fill_(value);
  return tensor;
}

Tensor ones_(Tensor tensor) {
  check_tensor(tensor, "ones_");  // so the message names ones_, not constant_
  return constant_(std::move(tensor), 1.0);
}

Tensor zeros_(Tensor tensor) {
  check_tensor(tensor, "zeros_");
  return constant_(std::move(tensor), 0.0);
}

Tensor uniform_(Tensor tensor, double low, double high) {
  check_tensor(tensor, "uniform_");
  XGRAD_CHECK(low <= high, ValueError, "uniform_: expects low <= high, got low={} high={}", low, high);
  NoGradGuard no_grad;
  tensor.uniform_(low, high);
  return tensor;
}

Tensor normal_(Tensor tensor, double mean, double std) {
  check_tensor(tensor, "normal_");
  XGRAD_CHECK(std >= 0.0, ValueError, "normal_: expects std >= 0.0, got {}", std);
  NoGradGuard no_grad;
  tensor.normal_(mean, std);
  return tensor;
}

Tensor kaiming_uniform_(Tensor tensor, double a, FanModeType mode, NonlinearityType nonlinearity) {
  check_tensor(tensor, "kaiming_uniform_");
  const int64_t f = fan(tensor, mode, "kaiming_uniform_");
  if (tensor.numel() == 0) return tensor;  // PyTorch warns and does nothing
  const double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(f));
  const double bound = std::sqrt(3.0) * std;
  return uniform_(std::move(tensor), -bound, bound);
}

Tensor kaiming_normal_(Tensor tensor, double a, FanModeType mode, NonlinearityType nonlinearity) {
  check_tensor(tensor, "kaiming_normal_");
  const int64_t f = fan(tensor, mode, "kaiming_normal_");
  if (tensor.numel() == 0) return tensor;
  const double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(f));
  return normal_(std::move(tensor), 0.0, std);
}

Tensor xavier_uniform_(Tensor tensor, double gain) {
  check_tensor(tensor, "xavier_uniform_");
  check_fan_dims(tensor, "xavier_uniform_");
  const auto [fan_in, fan_out] = _calculate_fan_in_and_fan_out(tensor);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  const double bound = std::sqrt(3.0) * std;
  return uniform_(std::move(tensor), -bound, bound);
}

Tensor xavier_normal_(Tensor tensor, double gain) {
  check_tensor(tensor, "xavier_normal_");
  check_fan_dims(tensor, "xavier_normal_");
  const auto [fan_in, fan_out] = _calculate_fan_in_and_fan_out(tensor);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  return normal_(std::move(tensor), 0.0, std);
}

}  // namespace xgrad::nn::init
