// §3 Pooling: the maximum or the mean of each window, with window size, padding and stride like
// a convolution, no parameters, and each channel pooled on its own.
#include <xgrad/xgrad.hpp>

#include <array>
#include <iostream>
#include <string_view>

namespace nn = xgrad::nn;
using xgrad::Tensor;
using xgrad::indexing::Slice;

// From scratch, as the chapter: stride 1, no padding, `mode` "max" or "avg".
Tensor pool2d(const Tensor& X, std::array<int64_t, 2> pool_size, std::string_view mode = "max") {
  const auto [p_h, p_w] = pool_size;
  auto Y = xgrad::zeros({X.size(0) - p_h + 1, X.size(1) - p_w + 1});
  for (int64_t i = 0; i < Y.size(0); ++i) {
    for (int64_t j = 0; j < Y.size(1); ++j) {
      auto window = X.index({Slice(i, i + p_h), Slice(j, j + p_w)});
      if (mode == "max")
        Y.index_put_({i, j}, window.max());
      else if (mode == "avg")
        Y.index_put_({i, j}, window.mean());
    }
  }
  return Y;
}

int main() {
  auto X = xgrad::tensor({{0.0, 1.0, 2.0}, {3.0, 4.0, 5.0}, {6.0, 7.0, 8.0}});
  std::cout << pool2d(X, {2, 2}) << '\n';
  std::cout << pool2d(X, {2, 2}, "avg") << '\n';

  X = xgrad::arange(16, xgrad::kFloat32).reshape({1, 1, 4, 4});
  std::cout << X << '\n';

  // The library's default stride equals the window size.
  nn::MaxPool2d pool(nn::MaxPool2dOptions(3));
  std::cout << pool(X) << '\n';

  pool = nn::MaxPool2d(nn::MaxPool2dOptions(3).padding(1).stride(2));
  std::cout << pool(X) << '\n';

  pool = nn::MaxPool2d(nn::MaxPool2dOptions({2, 3}).padding({1, 1}).stride({2, 3}));
  std::cout << pool(X) << '\n';

  // Two channels in, two channels out.
  X = xgrad::cat({X, X + 1}, 1);
  std::cout << X << '\n';
  pool = nn::MaxPool2d(nn::MaxPool2dOptions(3).padding(1).stride(2));
  std::cout << pool(X) << '\n';
}
