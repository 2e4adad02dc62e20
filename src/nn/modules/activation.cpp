// Activation modules: forward through nn::functional, PyTorch's extra_repr text.

#include <xgrad/nn/functional.hpp>
#include <xgrad/nn/modules/activation.hpp>

#include "common.hpp"

namespace xgrad::nn {

// ---- activations --------------------------------------------------------------------------------

Tensor ReLUImpl::forward(Tensor input) { return functional::relu(input, options); }
std::string ReLUImpl::extra_repr() const { return options.inplace() ? "inplace=True" : ""; }
Tensor SigmoidImpl::forward(const Tensor& input) { return functional::sigmoid(input); }
Tensor TanhImpl::forward(const Tensor& input) { return functional::tanh(input); }
Tensor SoftmaxImpl::forward(const Tensor& input) { return functional::softmax(input, options.dim()); }
std::string SoftmaxImpl::extra_repr() const { return fmt::format("dim={}", options.dim()); }
Tensor LogSoftmaxImpl::forward(const Tensor& input) { return functional::log_softmax(input, options.dim()); }
std::string LogSoftmaxImpl::extra_repr() const { return fmt::format("dim={}", options.dim()); }

Tensor LeakyReLUImpl::forward(Tensor input) { return functional::leaky_relu(input, options); }
std::string LeakyReLUImpl::extra_repr() const {
  return fmt::format("negative_slope={}{}", detail::py_float(options.negative_slope()),
                     options.inplace() ? ", inplace=True" : "");
}

Tensor ELUImpl::forward(Tensor input) { return functional::elu(input, options); }
std::string ELUImpl::extra_repr() const {
  return fmt::format("alpha={}{}", detail::py_float(options.alpha()), options.inplace() ? ", inplace=True" : "");
}

Tensor GELUImpl::forward(const Tensor& input) { return functional::gelu(input, options); }
std::string GELUImpl::extra_repr() const { return fmt::format("approximate='{}'", options.approximate()); }

Tensor SiLUImpl::forward(const Tensor& input) { return functional::silu(input); }

Tensor SoftplusImpl::forward(const Tensor& input) { return functional::softplus(input, options); }
std::string SoftplusImpl::extra_repr() const {
  return fmt::format("beta={}, threshold={}", options.beta(), options.threshold());
}

HardtanhImpl::HardtanhImpl(const HardtanhOptions& options) : options(options) { reset(); }
void HardtanhImpl::reset() {
  XGRAD_CHECK(options.max_val() > options.min_val(), ValueError,
              "Hardtanh: max_val must be greater than min_val, got min_val={} and max_val={}", options.min_val(),
              options.max_val());
}
Tensor HardtanhImpl::forward(Tensor input) { return functional::hardtanh(input, options); }
std::string HardtanhImpl::extra_repr() const {
  return fmt::format("min_val={}, max_val={}{}", detail::py_float(options.min_val()),
                     detail::py_float(options.max_val()), options.inplace() ? ", inplace=True" : "");
}

Tensor ReLU6Impl::forward(Tensor input) { return functional::relu6(std::move(input), options); }
std::string ReLU6Impl::extra_repr() const { return options.inplace() ? "inplace=True" : ""; }

Tensor LogSigmoidImpl::forward(const Tensor& input) { return functional::logsigmoid(input); }

}  // namespace xgrad::nn
