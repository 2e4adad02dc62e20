// at::native names that LibTorch code calls directly.

#include <xgrad/native.hpp>

namespace xgrad::native {

bool is_nonzero(const Tensor& self) {
  XGRAD_CHECK(self.defined(), ValueError, "is_nonzero: the tensor is undefined");
  const int64_t n = self.numel();
  // PyTorch's words, so code matching them keeps working.
  XGRAD_CHECK(n != 0, ValueError, "is_nonzero: Boolean value of Tensor with no values is ambiguous (sizes {})",
              to_string(self.sizes()));
  XGRAD_CHECK(n == 1, ValueError,
              "is_nonzero: Boolean value of Tensor with more than one value is ambiguous (sizes {}); reduce it "
              "first, e.g. t.any() or t.all()",
              to_string(self.sizes()));
  // Read as double: every dtype's nonzero values stay nonzero (int64 beyond 2^53 rounds, never to 0).
  const double v = self.item<double>();
  return v != 0.0;
}

}  // namespace xgrad::native
