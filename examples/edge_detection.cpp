// §1.3 A 1×2 kernel [1, -1] detects vertical edges: it answers 1 where the image goes from white
// to black, -1 where it goes from black to white, and 0 elsewhere. On the transposed image the
// edges are horizontal and it sees nothing.
//
//     X = torch.ones((6, 8))
//     X[:, 2:6] = 0
//     K = torch.tensor([[1.0, -1.0]])
//     Y = corr2d(X, K)
//     corr2d(X.t(), K)
#include "d2l.hpp"

#include <iostream>

using xgrad::indexing::Slice;

int main() {
  auto X = xgrad::ones({6, 8});
  X.index_put_({Slice(), Slice(2, 6)}, 0);
  std::cout << X << '\n';

  auto K = xgrad::tensor({{1.0, -1.0}});
  auto Y = d2l::corr2d(X, K);
  std::cout << Y << '\n';
  std::cout << d2l::corr2d(X.t(), K) << '\n';
}
