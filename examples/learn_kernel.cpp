// §1.3 Learning the edge kernel from (X, Y) with the library's convolution layer:
// nn::Conv2d with one input and one output channel, a 1×2 kernel and no bias, on 4-D
// (batch, channel, height, width) data, ten steps of gradient descent with lr 3e-2.
//
//     conv2d = nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False)
//     X = X.reshape((1, 1, 6, 8))
//     Y = Y.reshape((1, 1, 6, 7))
//     lr = 3e-2
//     for i in range(10):
//         Y_hat = conv2d(X)
//         l = (Y_hat - Y) ** 2
//         conv2d.zero_grad()
//         l.sum().backward()
//         conv2d.weight.data[:] -= lr * conv2d.weight.grad
//         if (i + 1) % 2 == 0:
//             print(f'epoch {i+1}, loss {l.sum():.3f}')
#include "d2l.hpp"

#include <fmt/format.h>

#include <iostream>

namespace nn = xgrad::nn;
using xgrad::indexing::Slice;

int main() {
  xgrad::manual_seed(0);
  auto X = xgrad::ones({6, 8});
  X.index_put_({Slice(), Slice(2, 6)}, 0);
  auto K = xgrad::tensor({{1.0, -1.0}});
  auto Y = d2l::corr2d(X, K);

  nn::Conv2d conv2d(nn::Conv2dOptions(1, 1, {1, 2}).bias(false));
  X = X.reshape({1, 1, 6, 8});
  Y = Y.reshape({1, 1, 6, 7});
  const double lr = 3e-2;
  for (int i = 0; i < 10; ++i) {
    auto Y_hat = conv2d(X);
    auto l = (Y_hat - Y).pow(2);
    conv2d->zero_grad();
    l.sum().backward();
    // `weight.data[:] -= ...`: an in-place update of the parameter's storage, outside the graph.
    conv2d->weight.data() -= lr * conv2d->weight.grad();
    if ((i + 1) % 2 == 0) fmt::print("epoch {}, loss {:.3f}\n", i + 1, l.sum().item<double>());
  }
  std::cout << conv2d->weight.data().reshape({1, 2}) << '\n';
}
