// FORWARD_HAS_DEFAULT_ARGS: a module's trailing forward() defaults filled in by AnyModule and
// Sequential, and the recurrent modules' optional state left out through them.
#include "compat.hpp"

#include <iostream>
#include <tuple>

struct MImpl : xg::nn::Module {
  xg::Tensor forward(int a, int b = 2, double c = 3.0) { return xg::tensor(a + b + c); }

 protected:
  FORWARD_HAS_DEFAULT_ARGS({1, xg::nn::AnyValue(2)}, {2, xg::nn::AnyValue(3.0)})
};
TORCH_MODULE(M);

int main() {
  xg::nn::Sequential seq(M{});
  std::cout << "seq(1) " << seq->forward(1).item<double>() << "\n";
  std::cout << "seq(1, 5) " << seq->forward(1, 5).item<double>() << "\n";
  std::cout << "seq(1, 5, 0.5) " << seq->forward(1, 5, 0.5).item<double>() << "\n";
  xg::nn::AnyModule any(M{});
  std::cout << "any(4) " << any.forward(4).item<double>() << "\n";

  xg::manual_seed(0);
  xg::nn::LSTM lstm(3, 4);
  xg::nn::GRUCell cell(3, 4);
  xg::Tensor x = xg::linspace(-1, 1, 30).reshape({5, 2, 3});
  using LstmOut = std::tuple<xg::Tensor, std::tuple<xg::Tensor, xg::Tensor>>;
  auto out = xg::nn::AnyModule(lstm).forward<LstmOut>(x);
  std::cout.precision(5);
  std::cout << "lstm output sum " << std::get<0>(out).sum().item<double>() << "\n";
  std::cout << "lstm c_n sum " << std::get<1>(std::get<1>(out)).sum().item<double>() << "\n";
  xg::nn::Sequential cells(cell);
  std::cout << "gru cell sum " << cells->forward(x[0]).sum().item<double>() << "\n";
}
