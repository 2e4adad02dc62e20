// §2.2 Channels. Several input channels: correlate each channel with its own kernel slice and
// add the results. Several output channels: one such 3-D kernel per output channel, results
// stacked. A 1×1 convolution mixes channels only, so it is a matrix multiply.
#include "d2l.hpp"

#include <cmath>
#include <iostream>
#include <vector>

using xgrad::Tensor;

// sum(d2l.corr2d(x, k) for x, k in zip(X, K))
Tensor corr2d_multi_in(const Tensor& X, const Tensor& K) {
  auto Y = d2l::corr2d(X[0], K[0]);
  for (int64_t c = 1; c < X.size(0); ++c) Y = Y + d2l::corr2d(X[c], K[c]);
  return Y;
}

// torch.stack([corr2d_multi_in(X, k) for k in K], 0)
Tensor corr2d_multi_in_out(const Tensor& X, const Tensor& K) {
  std::vector<Tensor> out;
  for (int64_t o = 0; o < K.size(0); ++o) out.push_back(corr2d_multi_in(X, K[o]));
  return xgrad::stack(out, 0);
}

// (c_o, c_i) @ (c_i, h * w): a fully connected layer applied at every pixel.
Tensor corr2d_multi_in_out_1x1(Tensor X, Tensor K) {
  const int64_t c_i = X.size(0), h = X.size(1), w = X.size(2);
  const int64_t c_o = K.size(0);
  X = X.reshape({c_i, h * w});
  K = K.reshape({c_o, c_i});
  auto Y = xgrad::matmul(K, X);
  return Y.reshape({c_o, h, w});
}

int main() {
  auto X = xgrad::tensor({{{0.0, 1.0, 2.0}, {3.0, 4.0, 5.0}, {6.0, 7.0, 8.0}},
                          {{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}, {7.0, 8.0, 9.0}}});
  auto K = xgrad::tensor({{{0.0, 1.0}, {2.0, 3.0}}, {{1.0, 2.0}, {3.0, 4.0}}});
  std::cout << corr2d_multi_in(X, K) << '\n';

  K = xgrad::stack({K, K + 1, K + 2}, 0);
  std::cout << xgrad::Size(K.sizes()) << '\n';
  std::cout << corr2d_multi_in_out(X, K) << '\n';

  xgrad::manual_seed(0);
  X = xgrad::randn({3, 3, 3});
  K = xgrad::randn({2, 3, 1, 1});
  auto Y1 = corr2d_multi_in_out_1x1(X, K);
  auto Y2 = corr2d_multi_in_out(X, K);
  const double diff = xgrad::abs(Y1 - Y2).sum().item<double>();
  if (!(diff < 1e-6)) {
    std::cerr << "1x1 convolution: matmul and corr2d differ by " << diff << '\n';
    return 1;
  }
  std::cout << Y2 << '\n';
}
