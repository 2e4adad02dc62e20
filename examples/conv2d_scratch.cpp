// §1.3 A convolution layer built on corr2d: a Module with a learnable kernel `weight` (random
// uniform) and a scalar `bias` (zero), trained by hand-written gradient descent to rediscover
// the edge kernel [1, -1] from (X, Y).
//
//     class Conv2D(nn.Module):
//         def __init__(self, kernel_size):
//             super().__init__()
//             self.weight = nn.Parameter(torch.rand(kernel_size))
//             self.bias = nn.Parameter(torch.zeros(1))
//         def forward(self, x):
//             return corr2d(x, self.weight) + self.bias
//
// The bias gradient sums over all 42 outputs, so this layer needs a smaller step than the
// chapter's bias-free nn.Conv2d (lr 3e-2 diverges here); 30 steps of 1e-2 converge.
#include "d2l.hpp"

#include <fmt/format.h>

#include <iostream>

using xgrad::Tensor;
using xgrad::indexing::Slice;

// As in LibTorch: the module class is `Conv2DImpl`, and XGRAD_MODULE makes `Conv2D`, a holder
// that shares it (`conv2d->weight`) and calls forward with `conv2d(x)`.
struct Conv2DImpl : xgrad::nn::Module {
  explicit Conv2DImpl(xgrad::IntArrayRef kernel_size) {
    weight = register_parameter("weight", xgrad::rand(kernel_size));
    bias = register_parameter("bias", xgrad::zeros({1}));
  }
  Tensor forward(const Tensor& x) { return d2l::corr2d(x, weight) + bias; }

  Tensor weight, bias;
};
XGRAD_MODULE(Conv2D);

int main() {
  xgrad::manual_seed(0);
  auto X = xgrad::ones({6, 8});
  X.index_put_({Slice(), Slice(2, 6)}, 0);
  auto K = xgrad::tensor({{1.0, -1.0}});
  auto Y = d2l::corr2d(X, K);

  Conv2D conv2d(xgrad::IntArrayRef{1, 2});
  std::cout << xgrad::Size(conv2d->weight.sizes()) << ' ' << xgrad::Size(conv2d->bias.sizes()) << '\n';
  std::cout << xgrad::Size(conv2d(X).sizes()) << '\n';

  const double lr = 1e-2;
  for (int i = 0; i < 30; ++i) {
    auto Y_hat = conv2d(X);
    auto l = (Y_hat - Y).pow(2);
    conv2d->zero_grad();
    l.sum().backward();
    {
      xgrad::NoGradGuard no_grad;
      conv2d->weight -= lr * conv2d->weight.grad();
      conv2d->bias -= lr * conv2d->bias.grad();
    }
    if ((i + 1) % 5 == 0) fmt::print("epoch {}, loss {:.3f}\n", i + 1, l.sum().item<double>());
  }
  std::cout << conv2d->weight.data() << '\n';
  std::cout << conv2d->bias.data() << '\n';
}
