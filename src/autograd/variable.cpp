// make_variable: a fresh leaf on existing storage.

#include <xgrad/autograd/variable.hpp>

namespace xgrad::autograd {

Tensor make_variable(const Tensor& data, bool requires_grad, bool /*allow_tensor_metadata_change*/) {
  if (!data.defined()) return Tensor();
  // tensor_data(): same storage and layout, no grad_fn, no grad, not a view in autograd's eyes,
  // so the result is a leaf whatever `data` was.
  Tensor out = data.tensor_data();
  if (requires_grad) out.requires_grad_(true);
  return out;
}

}  // namespace xgrad::autograd
