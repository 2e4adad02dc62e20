// §2.1 Kernel size, padding and stride decide the output shape: per dimension
// floor((n + 2p - k) / s) + 1, with p zeros added on each side.
//
//     def comp_conv2d(conv2d, X):
//         X = X.reshape((1, 1) + X.shape)
//         Y = conv2d(X)
//         return Y.reshape(Y.shape[2:])
#include <xgrad/xgrad.hpp>

#include <iostream>
#include <vector>

namespace nn = xgrad::nn;

// Adds and then drops the batch and channel dimensions (both 1) around the layer.
xgrad::Tensor comp_conv2d(nn::Conv2d& conv2d, const xgrad::Tensor& X) {
  std::vector<int64_t> shape{1, 1};
  for (auto s : X.sizes()) shape.push_back(s);
  auto Y = conv2d(X.reshape(shape));
  auto sizes = Y.sizes();
  return Y.reshape(std::vector<int64_t>(sizes.begin() + 2, sizes.end()));
}

int main() {
  xgrad::manual_seed(0);
  auto X = xgrad::rand({8, 8});

  // padding=1 adds one row or column on each side: 2 in total.
  nn::Conv2d conv2d(nn::Conv2dOptions(1, 1, 3).padding(1));
  std::cout << xgrad::Size(comp_conv2d(conv2d, X).sizes()) << '\n';

  conv2d = nn::Conv2d(nn::Conv2dOptions(1, 1, {5, 3}).padding({2, 1}));
  std::cout << xgrad::Size(comp_conv2d(conv2d, X).sizes()) << '\n';

  // A stride of 2 halves height and width.
  conv2d = nn::Conv2d(nn::Conv2dOptions(1, 1, 3).padding(1).stride(2));
  std::cout << xgrad::Size(comp_conv2d(conv2d, X).sizes()) << '\n';

  conv2d = nn::Conv2d(nn::Conv2dOptions(1, 1, {3, 5}).padding({0, 1}).stride({3, 4}));
  std::cout << xgrad::Size(comp_conv2d(conv2d, X).sizes()) << '\n';
}
