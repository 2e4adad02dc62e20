// Activation modules: forward through nn::functional, PyTorch's extra_repr text.

#include <xgrad/nn/functional.hpp>
#include <xgrad/nn/modules/activation.hpp>

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

}  // namespace xgrad::nn
