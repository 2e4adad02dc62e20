// nn::init: in-place parameter initialisers. They write through NoGradGuard, as LibTorch's do,
// so they can fill leaves that require grad.

#include <xgrad/autograd/grad_mode.hpp>
#include <xgrad/nn/init.hpp>

#include <cmath>
#include <vector>

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

// Q of the reduced QR factorisation of the m x n matrix `a` (row-major, m >= n), with column j
// multiplied by sign(R[j][j]). With that sign convention Q is unique for a full-rank matrix, so
// it equals PyTorch's (LAPACK geqrf/orgqr) up to rounding, whatever Householder variant is used.
// Double precision keeps the rounding far below float's.
std::vector<double> signed_q_factor(std::vector<double> a, int64_t m, int64_t n) {
  const auto at = [n](std::vector<double>& v, int64_t i, int64_t j) -> double& { return v[i * n + j]; };
  std::vector<std::vector<double>> reflectors(n);  // v_k over rows k..m-1; empty: no reflection
  std::vector<double> diag(n);
  for (int64_t k = 0; k < n; ++k) {
    double norm2 = 0;
    for (int64_t i = k; i < m; ++i) norm2 += at(a, i, k) * at(a, i, k);
    // alpha takes the sign opposite to a[k][k], so that v[0] = a[k][k] - alpha does not cancel.
    const double alpha = at(a, k, k) >= 0 ? -std::sqrt(norm2) : std::sqrt(norm2);
    std::vector<double> v(m - k);
    for (int64_t i = k; i < m; ++i) v[i - k] = at(a, i, k);
    v[0] -= alpha;
    double vv = 0;
    for (double x : v) vv += x * x;
    if (vv == 0) {  // the column is zero from row k down: nothing to reflect, R[k][k] = 0
      diag[k] = 0;
      continue;
    }
    // a[k:, k:] -= (2 / v.v) v (v^T a[k:, k:])
    for (int64_t j = k; j < n; ++j) {
      double dot = 0;
      for (int64_t i = k; i < m; ++i) dot += v[i - k] * at(a, i, j);
      const double f = 2 * dot / vv;
      for (int64_t i = k; i < m; ++i) at(a, i, j) -= f * v[i - k];
    }
    diag[k] = at(a, k, k);
    for (double& x : v) x /= std::sqrt(vv);  // unit reflector: H = I - 2 v v^T
    reflectors[k] = std::move(v);
  }
  // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity, last reflector first.
  std::vector<double> q(m * n, 0.0);
  for (int64_t j = 0; j < n; ++j) at(q, j, j) = 1.0;
  for (int64_t k = n - 1; k >= 0; --k) {
    const std::vector<double>& v = reflectors[k];
    if (v.empty()) continue;
    for (int64_t j = 0; j < n; ++j) {
      double dot = 0;
      for (int64_t i = k; i < m; ++i) dot += v[i - k] * at(q, i, j);
      for (int64_t i = k; i < m; ++i) at(q, i, j) -= 2 * dot * v[i - k];
    }
  }
  // PyTorch multiplies by sign(diag(R)), which is 0 for a zero diagonal entry (a rank-deficient
  // draw, which has probability zero); kept so the values stay PyTorch's.
  for (int64_t j = 0; j < n; ++j) {
    const double ph = diag[j] > 0 ? 1.0 : (diag[j] < 0 ? -1.0 : 0.0);
    for (int64_t i = 0; i < m; ++i) at(q, i, j) *= ph;
  }
  return q;
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

Tensor orthogonal_(Tensor tensor, double gain) {
  check_tensor(tensor, "orthogonal_");
  XGRAD_CHECK(tensor.dim() >= 2, ValueError,
              "orthogonal_: Only tensors with 2 or more dimensions are supported (got sizes {}); a 1-D tensor "
              "cannot be (semi-)orthogonal",
              to_string(tensor.sizes()));
  XGRAD_CHECK(std::isfinite(gain), ValueError, "orthogonal_: gain must be a finite number, got {}", gain);
  if (tensor.numel() == 0) return tensor;  // PyTorch: a no-op
  NoGradGuard no_grad;
  const int64_t rows = tensor.size(0);
  const int64_t cols = tensor.numel() / rows;
  // Drawn as PyTorch draws it (rows x cols in the tensor's dtype), so the stream matches.
  Tensor flat = empty({rows, cols}, TensorOptions().dtype(tensor.dtype()));
  flat.normal_(0.0, 1.0);
  const Tensor flat64 = flat.to(kFloat64).contiguous();
  const double* f = flat64.data_ptr<double>();
  const bool wide = rows < cols;
  const int64_t m = wide ? cols : rows, n = wide ? rows : cols;  // the QR is of the tall matrix
  std::vector<double> a(static_cast<size_t>(m * n));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) a[wide ? c * n + r : r * n + c] = f[r * cols + c];
  const std::vector<double> q = signed_q_factor(std::move(a), m, n);
  Tensor out = empty({rows, cols}, TensorOptions().dtype(kFloat64));
  double* o = out.data_ptr<double>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) o[r * cols + c] = wide ? q[c * n + r] : q[r * n + c];
  // Rounded to the tensor's dtype first, then scaled in it, as PyTorch's copy_ then mul_(gain).
  tensor.copy_(out.to(tensor.dtype()).reshape(tensor.sizes()));
  tensor.mul_(gain);
  return tensor;
}

}  // namespace xgrad::nn::init
