// §1.3 The cross-correlation computed from scratch.
//
//     X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
//     K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
//     corr2d(X, K)
#include "d2l.hpp"

#include <iostream>

int main() {
  auto X = xgrad::tensor({{0.0, 1.0, 2.0}, {3.0, 4.0, 5.0}, {6.0, 7.0, 8.0}});
  auto K = xgrad::tensor({{0.0, 1.0}, {2.0, 3.0}});
  std::cout << d2l::corr2d(X, K) << '\n';
}
