// A program outside the xgrad tree, built only with `pkg-config --cflags --libs xgrad` against
// an installed copy: proves the installed headers are self-contained and the library links.
#include <xgrad/xgrad.hpp>

#include <iostream>
#include <string>

int main() {
  auto x = xgrad::tensor({{1.0, 2.0}, {3.0, 4.0}}, xgrad::requires_grad());
  auto y = (x * x).sum();
  y.backward();
  std::cout << y << '\n';
  std::cout << x.grad() << '\n';

  namespace nn = xgrad::nn;
  nn::Conv2d conv(nn::Conv2dOptions(1, 1, 3).padding(1));
  std::cout << xgrad::Size(conv(xgrad::ones({1, 1, 8, 8})).sizes()) << '\n';

  // <xgrad/version.hpp> (generated, included by xgrad.hpp): the macros and version() agree.
  const std::string parts = std::to_string(XGRAD_VERSION_MAJOR) + '.' + std::to_string(XGRAD_VERSION_MINOR) + '.' +
                            std::to_string(XGRAD_VERSION_PATCH);
  std::cout << "version " << (parts == XGRAD_VERSION && parts == xgrad::version() ? "consistent" : parts) << '\n';
}
